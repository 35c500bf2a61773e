import { config } from '@monorepo/eslint-config';

export default config;

export { default } from '@monorepo/vitest-config';

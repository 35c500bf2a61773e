import { afterEach, beforeEach, describe } from 'vitest';
import { attributeSuite } from './contract/attributes.js';
import type {
  ContractContext,
  ContractFactory,
  ContractOptions,
  ContractTarget,
} from './contract/contract-context.js';
import { copyMoveSuite } from './contract/copy-move.js';
import { keySuite } from './contract/keys.js';
import { leftoverSuite } from './contract/leftovers.js';
import { listingSuite } from './contract/listing.js';
import { missingKeySuite } from './contract/missing-keys.js';
import { permissionSuite } from './contract/permissions.js';
import { provisionSuite } from './contract/provision.js';
import { rangeSuite } from './contract/ranges.js';
import { roundTripSuite } from './contract/round-trips.js';
import { signedUrlSuite } from './contract/signed-urls.js';
import { visibilitySuite } from './contract/visibility.js';
import { writeSuite } from './contract/writes.js';

const SUITES = [
  roundTripSuite,
  attributeSuite,
  missingKeySuite,
  permissionSuite,
  leftoverSuite,
  writeSuite,
  rangeSuite,
  keySuite,
  listingSuite,
  copyMoveSuite,
  signedUrlSuite,
  visibilitySuite,
  provisionSuite,
];

/**
 * The behaviour every `StorageAdapter` must share, one suite per concern (`src/contract/`). Register it in a
 * vitest file; `factory` runs before each test and must return an adapter over an empty keyspace (a fresh
 * directory, a fresh bucket prefix, ...). Tests of what an adapter lacks skip by its own `capabilities`.
 */
export function describeStorageAdapterContract(
  name: string,
  factory: ContractFactory,
  options: ContractOptions = {},
): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    let target: Exclude<ContractTarget, { backend: string }> | undefined;
    const context: ContractContext = {
      get storage() {
        if (!target) throw new Error('no contract target: the factory has not run');
        return target.adapter;
      },
      get withoutPermission() {
        return target?.withoutPermission;
      },
      get leaveIncomplete() {
        return target?.leaveIncomplete;
      },
      options,
    };

    beforeEach(async () => {
      const made = await factory();
      target = 'adapter' in made ? made : { adapter: made };
    });

    afterEach(async () => {
      await target?.cleanup?.();
      target = undefined;
    });

    for (const suite of SUITES) suite(context);
  });
}

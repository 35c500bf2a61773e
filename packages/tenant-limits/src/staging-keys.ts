// Where a direct upload's bytes live before completion: outside every user's folder (`uploads/<user>/`), so they
// are never a file, never counted, never listed, signed or used as a job source until `/complete` moves them.

/** The prefix of staging keys: an intent's bytes live at `incoming/<id>` until completion moves them. */
export const STAGING_PREFIX = 'incoming/';

/** Where an intent's bytes are sent: never under `uploads/<user>/`, so never a file before completion. */
export function stagingKey(id: string): string {
  return `${STAGING_PREFIX}${id}`;
}

/** Where `/complete` freezes the sent bytes (a key no upload form can write) while it checks them. */
export function checkedKey(id: string): string {
  return `${STAGING_PREFIX}${id}.checked`;
}

/** The intent a staging key belongs to, if it is one. */
export function intentIdOfStagingKey(key: string): string | undefined {
  const match = /^incoming\/([0-9a-f-]{36})(?:\.checked)?$/.exec(key);
  return match?.[1];
}

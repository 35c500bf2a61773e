/** Why an upload or an intent was refused before (or while) storing it. */
export class LimitExceededError extends Error {
  /** `E_QUOTA_EXCEEDED`: bytes or objects; `E_TOO_MANY_UPLOADS`: uploads in flight, or intents open. */
  readonly code: 'E_QUOTA_EXCEEDED' | 'E_TOO_MANY_UPLOADS';

  constructor(code: LimitExceededError['code'], message: string) {
    super(message);
    this.name = 'LimitExceededError';
    this.code = code;
  }
}

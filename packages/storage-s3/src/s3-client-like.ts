/** Anything with `S3Client.send`: a real client, or a test double such as `MockS3Client`. */
export interface S3ClientLike {
  // Commands and outputs vary per call, as in S3Client.send's overloads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

// Child-process entry that runs s3rver (started with --openssl-legacy-provider by startS3rver).
import S3rver from 's3rver';

const [directory, bucketList] = process.argv.slice(2);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: (bucketList ?? '')
    .split(',')
    .filter(Boolean)
    .map((name) => ({ name })),
});
const address = await server.run();
process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
const stop = () => {
  void server.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

// Imported first by main.ts, before anything uses libuv's thread pool: renders (sharp), source reads and the
// durable writes of derived/ (fsync) share it, and with the default 4 threads slow fsyncs stall renders.
process.env.UV_THREADPOOL_SIZE ??= '16';

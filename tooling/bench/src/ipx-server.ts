// The peer of the imaging bench: ipx (Nuxt Image's server) on its own node process, files from a directory.
// `node dist/ipx-server.js <dir> <port>`; prints "ready" when listening.
import http from 'node:http';
import { createIPX, createIPXNodeServer, ipxFSStorage } from 'ipx';

const [dir, port] = process.argv.slice(2);
const ipx = createIPX({ storage: ipxFSStorage({ dir: dir! }) });
http.createServer(createIPXNodeServer(ipx)).listen(Number(port), '127.0.0.1', () => {
  process.stdout.write('ready\n');
});

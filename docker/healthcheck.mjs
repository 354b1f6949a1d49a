// The image's HEALTHCHECK: healthy when /healthz answers 200 (the database answers a query) on the
// address and port the appliance listens on.
const port = process.env.BITARR_PORT || '8286';
const bind = process.env.BITARR_BIND || '0.0.0.0';
const host = ['0.0.0.0', '::'].includes(bind) ? '127.0.0.1' : bind;
const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(4000) });
  if (res.status !== 200) console.error(`${url}: ${res.status} ${await res.text()}`);
  process.exit(res.status === 200 ? 0 : 1);
} catch (err) {
  console.error(`${url}: ${err.cause?.message ?? err.message}`);
  process.exit(1);
}

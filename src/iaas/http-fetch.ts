// fetch's contract over node:http/https, for the IaaS and token calls. Node's global fetch (undici)
// parses HTTP with a WebAssembly build of llhttp; compiling and tiering up that module costs the
// long-running plugin 10-20 MiB of RSS (docs/operations.md "Memory"), while node:http parses with
// the llhttp compiled into Node. What the callers rely on is kept: a Request in and a Response out,
// the request's signal aborts with its reason (TimeoutError for AbortSignal.timeout), a network
// failure is TypeError('fetch failed') with the system error as `cause`, redirect 'error' refuses
// a redirect, connections are kept alive, gzip is asked for and decoded, and with
// NODE_USE_ENV_PROXY=1 HTTP(S)_PROXY and NO_PROXY are honoured. Bodies are JSON of at most a few
// MB, so they are read whole.
import http from 'node:http';
import https from 'node:https';
import { gunzip } from 'node:zlib';

// Node's own switch for proxies from the environment, which its fetch honours too.
const proxyEnv = process.env.NODE_USE_ENV_PROXY === '1' ? process.env : undefined;
const agents = {
  'http:': new http.Agent({ keepAlive: true, proxyEnv }),
  'https:': new https.Agent({ keepAlive: true, proxyEnv }),
};

/** Statuses whose Response must have a null body (Fetch standard). */
const nullBodyStatuses = new Set([101, 204, 205, 304]);

export async function httpFetch(input: Request | string | URL, init?: RequestInit): Promise<Response> {
  const req = input instanceof Request && init === undefined ? input : new Request(input, init);
  const url = new URL(req.url);
  const protocol = url.protocol;
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw new TypeError('fetch failed', { cause: new Error(`unsupported protocol ${protocol}`) });
  }
  const signal = req.signal;
  signal.throwIfAborted();
  const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
  signal.throwIfAborted();

  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) headers[name] = value;
  if (body) headers['content-length'] = String(body.length);
  headers['accept-encoding'] ??= 'gzip';

  return new Promise<Response>((resolve, reject) => {
    const failed = (err: unknown) =>
      reject(signal.aborted ? signal.reason : new TypeError('fetch failed', { cause: err }));
    const outgoing = (protocol === 'https:' ? https : http).request(
      url,
      { method: req.method, headers, agent: agents[protocol], signal },
      (res) => {
        const status = res.statusCode ?? 0;
        if (req.redirect === 'error' && status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          failed(new Error('unexpected redirect'));
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', failed);
        res.on('end', () => {
          const responseHeaders = new Headers();
          const raw = res.rawHeaders;
          for (let i = 0; i + 1 < raw.length; i += 2) {
            responseHeaders.append(raw[i] as string, raw[i + 1] as string);
          }
          const respond = (content: Buffer) => {
            try {
              resolve(
                new Response(nullBodyStatuses.has(status) ? null : content, {
                  status,
                  statusText: res.statusMessage ?? '',
                  headers: responseHeaders,
                }),
              );
            } catch (err) {
              // A status outside 200-599 cannot be a Response; fetch reports it as a network error too.
              failed(err);
            }
          };
          const content = Buffer.concat(chunks);
          const gzipped = res.headers['content-encoding']?.trim().toLowerCase() === 'gzip';
          if (!gzipped || content.length === 0) respond(content);
          else gunzip(content, (err, plain) => (err ? failed(err) : respond(plain)));
        });
      },
    );
    outgoing.on('error', failed);
    outgoing.end(body);
  });
}

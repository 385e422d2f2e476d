import type { LessonDefinition } from './types.js';

export default {
  number: 5,
  id: '05-compression',
  title: 'Compression',
  summary: 'The whole catalogue, the HTML page and the stylesheet go out uncompressed, so every client downloads several times more bytes than it needs.',
  edits: ['src/app.ts'],
  packages: ['compression'],
  // A middleware that never calls next() makes every check wait out its request timeout.
  timeLimitMs: 90_000,
  checks: [
    {
      id: '05.catalogue-gzipped-for-gzip-clients',
      title: 'GET /books asked with Accept-Encoding: gzip answers gzip that decodes to exactly the plain response, with its Content-Type and Vary: Accept-Encoding (on the plain answers too), asked again, through a TLS proxy and by a script alike',
      points: 3,
      hints: [
        "Run curl -s -H 'Accept-Encoding: gzip' -o /dev/null -w '%{size_download}\\n' localhost:3000/books, then again without the header. Compare.",
        'Clients announce the codings they read in Accept-Encoding; a server may then send the body gzip-encoded, says so in Content-Encoding, and adds Vary: Accept-Encoding so caches keep the two versions apart.',
        'The compression package does all three. It is a middleware factory: it has to run before the routes whose responses it should encode.',
        "In src/app.ts: import compression from 'compression'; then app.use(compression()); right after const app = express();",
      ],
    },
    {
      id: '05.catalogue-70-percent-smaller-on-the-wire',
      title: 'GET /books crosses the wire at least 70% smaller with gzip',
      points: 2,
      hints: [
        'How many bytes does a phone download to show the catalogue? Count them on the wire, not in the JSON.',
        'JSON and HTML repeat the same keys and tags over and over; gzip typically removes 80-90% of such text.',
        'If the answer is encoded but hardly smaller, the failure message says what the bytes show: a level of 0 stores without compressing, and a res.flush() after every small write makes gzip compress each piece on its own.',
        'app.use(compression()) with the default options (any level from 1 to 9 passes), and a route that sends its body in one go with res.json() instead of flushing piece by piece.',
      ],
    },
    {
      id: '05.browser-gets-compressed-catalogue',
      title: "A browser's Accept-Encoding (gzip, deflate, br, zstd) gets br or gzip that decodes to the plain response, and so does every other list that accepts one of them (br alone, *, a weight below 1, names in capitals)",
      points: 2,
      hints: [
        "Ask like a browser: curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip, deflate, br, zstd' localhost:3000/books.",
        'When a client offers several codings, the server picks one it supports. compression 1.8 prefers br (Brotli), which is smaller still than gzip; it does not speak zstd.',
        'Whatever you use must negotiate: read Accept-Encoding (names in any case, * for any coding not listed, every weight above 0 accepts), choose a coding the client accepts, and encode the body with exactly that one.',
        'app.use(compression()) negotiates for you. A hand-written middleware must handle br or fall back to gzip.',
      ],
    },
    {
      id: '05.catalogue-page-compressed',
      title: 'The HTML page GET /catalogue is compressed too',
      points: 1,
      hints: [
        "curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' localhost:3000/catalogue: is there a Content-Encoding header?",
        'HTML compresses as well as JSON. Compression belongs to the whole app, not to the one route you measured.',
        'Register the middleware with app.use() once, before every route, rather than on GET /books only.',
        'Move compression() out of the route and into app.use(compression()) at the top of createApp().',
      ],
    },
    {
      id: '05.authors-list-compressed',
      title: 'The other large list, GET /authors, is compressed too',
      points: 1,
      hints: [
        'GET /authors is another large JSON list. Is it encoded when you ask for gzip?',
        'A filter that only lets HTML through, or a threshold above the size of your responses, leaves JSON alone.',
        'Check the options you pass to compression(): threshold is the smallest body it encodes (1 kB by default); filter decides per response.',
        'Use compression() with its defaults, or a filter that falls back to compression.filter(req, res).',
      ],
    },
    {
      id: '05.static-stylesheet-compressed',
      title: 'The static file /storefront.css from express.static is compressed too',
      points: 1,
      hints: [
        "curl -s -D - -o /dev/null -H 'Accept-Encoding: gzip' localhost:3000/storefront.css",
        'express.static streams files through the same response object, so compression encodes them when it runs first and the answer does not forbid it: Cache-Control: no-transform tells compression to leave the bytes alone.',
        "Middleware only sees requests that reach it: compression must be registered before app.use(express.static(...)). If it already is, read the file's headers (curl -D -): a no-transform set in express.static's setHeaders or in a middleware switches compression off for it.",
        'Put app.use(compression()) above the static middleware in src/app.ts, and keep no-transform out of Cache-Control: public, max-age=3600 caches just as well.',
      ],
    },
    {
      id: '05.plain-clients-get-plain-bytes',
      title: 'Each client gets only a coding it accepts, in bytes that really are that coding, whoever asked before it or at the same time (on every large answer): plain bytes without Accept-Encoding or with identity, never a coding it refuses with q=0 (a * included)',
      points: 1,
      guards: 'The exercise never encodes; a fix must keep answering plain bytes to clients that do not ask for compression.',
      hints: [
        'Run curl without --compressed against /books. Can you read what comes back?',
        'A server may only use a coding the client accepts: listed in Accept-Encoding without q=0. With none listed, the body goes out as it is; gzip;q=0 means "never gzip".',
        'A middleware that gzips every response, whatever the request says, breaks such clients (scripts, health checkers, old proxies).',
        "Let compression() negotiate, or pick with req.acceptsEncodings(['br', 'gzip']) (it honours q values and *) rather than looking for the word gzip in the header; anything you keep between requests must be kept per coding, never replayed to a client that did not ask for it, and what one request chose stays with it (res.locals), never in app.locals or a shared variable.",
      ],
    },
    {
      id: '05.catalogue-still-lists-every-book',
      title: 'Every large answer still holds exactly the data the exercise serves, with its Content-Type: 1000 books with every field, the authors, the whole page, the stylesheet',
      points: 1,
      guards: 'The exercise already lists every book; shrinking the data is not the fix.',
      hints: [
        'Count the books in GET /books and the rows of /catalogue, and look at the fields of one book.',
        'The storefront and the partner feed need the whole catalogue. Fewer items is a product change, not a transport one.',
        'Leave the route handlers as they were: compression changes bytes on the wire, not the data.',
        'Undo any slicing or paging of the list and add app.use(compression()) instead.',
      ],
    },
    {
      id: '05.head-answers-headers-only',
      title: 'HEAD on every large answer (/books, /authors, /catalogue, the stylesheet) answers 200 with the Content-Type of GET, Vary: Accept-Encoding, no body, a Content-Length (if any) that GET sends with the Content-Encoding HEAD names, and the GET after it whole',
      points: 1,
      guards: 'Express already answers HEAD; a fix must not break it or hang it.',
      hints: [
        "curl -I -H 'Accept-Encoding: gzip' localhost:3000/books, then the same for /authors, /catalogue and /storefront.css, each followed by the GET it describes.",
        'HEAD asks for the headers of GET without the body: the same Content-Type and Vary, and a Content-Length only if it is the length GET sends. compression leaves HEAD responses unencoded. An answer kept from a HEAD has no body: it must never answer a GET.',
        'If the request never answers, a middleware is not calling next(): app.use(compression) without the parentheses does exactly that. A HEAD route of your own must count bytes (Buffer.byteLength), not characters; a cache must keep GET answers only.',
        'Write app.use(compression()), with the call, and let Express answer HEAD by running the GET route (no app.head of your own).',
      ],
    },
    {
      id: '05.error-response-decodes',
      title: "Error bodies (the app's 404, Express's own 400 for a path that does not decode) read the same with and without compression",
      points: 1,
      guards: 'The exercise sends error bodies as they are; a fix must not label them with a coding they are not in.',
      hints: [
        "curl -s --compressed -H 'Accept-Encoding: gzip, br' localhost:3000/books/99999, then the same with localhost:3000/books/%zz (Express's own error handler answers that one).",
        'Content-Encoding is a promise about the bytes that follow. Setting the header without encoding the body breaks every client that believes it.',
        "Do not set Content-Encoding yourself, least of all when the request arrives: Express's error handler removes it from the answers it writes, and a body you still encode reaches the client as unlabelled gzip. compression() sets it only on responses it has actually encoded.",
        'Remove any res.set("Content-Encoding", …) and rely on app.use(compression()).',
      ],
    },
  ],
  requirements: [
    {
      text: 'Answer a client that sends Accept-Encoding: gzip with a gzip body that decodes to exactly the plain response, and say so in Content-Encoding and Vary: Accept-Encoding.',
      checks: ['05.catalogue-gzipped-for-gzip-clients'],
    },
    {
      text: 'Send Vary: Accept-Encoding on every answer of a route you negotiate, the plain ones and HEAD too, and on the same request asked again (an answer you keep is replayed whole, every byte and every header with its value: ETag, Last-Modified, Cache-Control too) (RFC 9110 12.5.5): a cache that stores a plain answer without it serves it to every client. The encoded answer keeps the plain one\'s Cache-Control (none added) and, when the plain one has a validator, one too (its Last-Modified or an ETag of its own).',
      checks: ['05.catalogue-gzipped-for-gzip-clients', '05.catalogue-page-compressed', '05.authors-list-compressed', '05.static-stylesheet-compressed', '05.head-answers-headers-only'],
    },
    {
      text: 'Keep the Content-Type the exercise sends, charset included, on the plain answer and on every encoded one: Content-Encoding says how the bytes are packed, Content-Type what they are.',
      checks: ['05.catalogue-gzipped-for-gzip-clients', '05.authors-list-compressed', '05.static-stylesheet-compressed', '05.plain-clients-get-plain-bytes', '05.catalogue-still-lists-every-book'],
    },
    {
      text: 'Compress requests that arrive through a TLS-terminating proxy or CDN (X-Forwarded-Proto: https, X-Forwarded-For, Forwarded, X-Real-IP, Via, X-Forwarded-Port) like any other, with Vary: that is all production traffic; and those of every client, a script or the partner feed (any User-Agent, Accept: application/json) as much as a browser (a typed URL, a link, a fetch() from another origin or a stylesheet, with their Sec-Fetch-*, Origin and Referer headers, a hard reload with Cache-Control: no-cache), whatever else the request carries (what a CDN adds, such as X-Amz-Cf-Id or CDN-Loop, a request id or trace context, a key in X-Api-Key): a filter keyed on any request header but one the client sends to opt out leaves out real traffic; at any spelling of the URL (a query string, a trailing slash, //storefront.css, /assets/../storefront.css).',
      checks: ['05.catalogue-gzipped-for-gzip-clients', '05.browser-gets-compressed-catalogue', '05.catalogue-page-compressed', '05.authors-list-compressed', '05.static-stylesheet-compressed'],
    },
    { text: 'Make the catalogue cross the wire far smaller with gzip (the grader asks for at least 70% fewer bytes; the reference saves 89%).', checks: ['05.catalogue-70-percent-smaller-on-the-wire'] },
    {
      text: "Pick a coding from a browser's list (gzip, deflate, br, zstd) that compression supports, br or gzip, and encode the body with exactly that one; and from every other list that accepts br or gzip, however it is spelled (br alone, *, a weight such as q=0.5, names in capitals, gzip,deflate without spaces, Ruby's gzip;q=1.0,deflate;q=0.6,identity;q=0.3, gzip, identity): coding names are case-insensitive, * accepts any coding not listed, and only q=0 refuses (RFC 9110 12.5.3).",
      checks: ['05.browser-gets-compressed-catalogue'],
    },
    {
      text: 'Compress the whole app, not one route: register compression() once, before express.static and the routes, so the HTML page, the other list and the stylesheet are encoded too.',
      checks: ['05.catalogue-page-compressed', '05.authors-list-compressed', '05.static-stylesheet-compressed'],
    },
    {
      text: 'Keep options and headers from switching compression off for real responses: no threshold above their size, no filter that leaves out JSON, no Cache-Control: no-transform on them.',
      checks: ['05.catalogue-gzipped-for-gzip-clients', '05.authors-list-compressed', '05.static-stylesheet-compressed'],
    },
    {
      text: "Use only a coding the client accepts, whoever asked before it or at the same time: plain bytes to a client that asks for no coding or only identity, never a coding it refuses with q=0 (also next to a *, or named in capitals), never an answer kept from a client that asked for another coding (a browser's br included), and never a coding or a whole answer meant for another request arriving at the same time (a HEAD's or a 304 included), on any of the large answers (keep the coding per response, not in app.locals; share an in-flight answer only between requests with the same Accept-Encoding).",
      checks: ['05.plain-clients-get-plain-bytes'],
    },
    {
      text: 'Compress a revalidation whose validators no longer match (If-None-Match, If-Modified-Since) like any other request, Vary included: it gets the whole answer, and that is the answer caches store.',
      checks: ['05.catalogue-gzipped-for-gzip-clients', '05.browser-gets-compressed-catalogue', '05.catalogue-page-compressed', '05.authors-list-compressed', '05.static-stylesheet-compressed'],
    },
    {
      text: 'Answer HEAD on every large URL with the headers its GET sends (the same Content-Type, Vary, and a Content-Length only if it is the length GET sends with the Content-Encoding HEAD names: none and the plain length, as compression() answers HEAD, or the coding and its encoded length), and replay a kept answer, or one shared in flight, only to the request it answers: a HEAD answer (no body) never to a GET, a 304 never to a request without validators, a 206 part never to a request for the whole.',
      checks: ['05.head-answers-headers-only', '05.catalogue-gzipped-for-gzip-clients', '05.browser-gets-compressed-catalogue', '05.catalogue-page-compressed', '05.authors-list-compressed', '05.static-stylesheet-compressed', '05.plain-clients-get-plain-bytes'],
    },
    {
      text: 'Make the bytes smaller, never the data: every answer decodes to exactly what the exercise serves (the catalogue, the authors, the page, the stylesheet), and what it answers 404 stays 404 (another method, the path in other case) whatever the app kept before.',
      checks: ['05.catalogue-still-lists-every-book'],
    },
    {
      text: 'Register compression as a factory call, app.use(compression()), so that every request, HEAD included, still gets its answer.',
      checks: ['05.head-answers-headers-only', '05.catalogue-gzipped-for-gzip-clients'],
    },
    {
      text: "Set Content-Encoding only on a body that really is encoded that way (let compression() do both; deflate is zlib-wrapped, not raw), error answers included: the app's own 404 and those Express's error handler writes.",
      checks: ['05.error-response-decodes', '05.catalogue-gzipped-for-gzip-clients', '05.plain-clients-get-plain-bytes'],
    },
  ],
  advice: [
    'Turn up the gzip level or the Brotli quality only after measuring: each step costs CPU on every response.',
    'Encode a file of public/ once at start-up only if it cannot change while the app runs: a copy kept after the file changed on disk sends browsers the old stylesheet while plain clients get the new one.',
    'A lower threshold (even 0), any gzip level from 1 to 9, and a filter that lets a client opt out and otherwise falls back to compression.filter are all fine.',
    'Vary: * passes too (no cache hands one coding to a client that asked for another), but then no shared cache reuses the answer at all: a CDN in front stops caching the catalogue. Vary: Accept-Encoding is what you want.',
    'Measure compression on the wire with a raw client (curl without --compressed, or node:http): libraries that decompress for you hide the bytes you want to count.',
    'Do not compress an answer that carries a secret next to input the client chose (BREACH): leave it uncompressed or make the secret differ on every answer.',
    'Repeat Vary: Accept-Encoding on a 304 Not Modified (RFC 9110 15.4.5); compression() leaves it off, and a cache keeps the Vary stored with the 200, so the grader does not ask for it.',
    'Call res.flush() after each event of a text/event-stream answer, so that compression does not hold events back.',
    "Strictly, RFC 9110 8.6 wants HEAD's Content-Length to be the length GET would send to the very same request, or none: compression() answers HEAD unencoded with the plain length, which the grader accepts; leaving Content-Length out of HEAD is always right.",
  ],
} satisfies LessonDefinition;

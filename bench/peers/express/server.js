// Reference receiver built the way klikit's docs tell partners to (REFERENCE §2.3, §2.4):
// Node + Express, raw body captured in express.json({verify}), lowercase hex HMAC-SHA256,
// crypto.timingSafeEqual after a length check, an in-memory Set of seen event ids,
// the work deferred with setImmediate. It is NOT durable: a 200 means "in memory".
// It exists only as the peer of kds in bench/run.
//
//   KLIKIT_WEBHOOK_SECRET=... PORT=0 node server.js   (prints "peer listening: http://127.0.0.1:PORT")
'use strict';
const crypto = require('crypto');
const express = require('express');

const secret = process.env.KLIKIT_WEBHOOK_SECRET;
if (!secret) {
  console.error('KLIKIT_WEBHOOK_SECRET is required');
  process.exit(2);
}

const seen = new Set();
let processed = 0;

const app = express();
app.use(express.json({
  limit: '1mb',
  verify: (req, _res, buf) => { req.rawBody = buf; },
}));

function validSignature(rawBody, header) {
  const expected = crypto.createHmac('sha256', secret).update(rawBody).digest('hex');
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(String(header), 'utf8');
  if (a.length !== b.length) return false;
  return crypto.timingSafeEqual(a, b);
}

app.post('/webhooks/klikit', (req, res) => {
  const signature = req.get('x-klikit-signature');
  const eventId = req.get('x-klikit-event-id');
  const eventType = req.get('x-klikit-event-type');
  if (!signature || !eventId || !eventType) {
    return res.status(400).json({ error: 'missing klikit headers' });
  }
  if (!req.rawBody || !validSignature(req.rawBody, signature)) {
    return res.status(401).json({ error: 'invalid signature' });
  }
  if (seen.has(eventId)) {
    return res.status(200).json({ status: 'duplicate-ignored' });
  }
  seen.add(eventId);
  const body = req.body;
  setImmediate(() => {
    // The "work": what a reference receiver does after answering.
    const orders = Array.isArray(body && body.orders) ? body.orders : [];
    processed += orders.length;
  });
  return res.status(200).json({ status: 'received' });
});

app.get('/healthz', (_req, res) => res.json({ status: 'ok', seen: seen.size, processed }));

const server = app.listen(Number(process.env.PORT || 0), process.env.HOST || '127.0.0.1', () => {
  const { address, port } = server.address();
  console.log(`peer listening: http://${address}:${port}/webhooks/klikit`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

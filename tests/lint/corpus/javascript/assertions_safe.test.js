const assert = require('node:assert');
const { buildOptions } = require('./mailer');

// The expected values of assertions mention the knobs; nothing here connects.
assert.deepEqual(buildOptions({ insecure: true }), { tls: { rejectUnauthorized: false } });
assert.deepStrictEqual(buildOptions({}).tls, { rejectUnauthorized: true });
expect(buildOptions({ insecure: true })).toEqual({ ignoreTLS: true });

const assert = require('node:assert');
const nodemailer = require('nodemailer');

const transport = nodemailer.createTransport({ host: 'smtp.example.org', tls: { rejectUnauthorized: false } }); // expect: lint.js.reject_unauthorized_false
assert.deepEqual(transport.options.tls, { rejectUnauthorized: false });
assert.ok(nodemailer.createTransport({ ignoreTLS: true })); // expect: lint.js.nodemailer_ignore_tls

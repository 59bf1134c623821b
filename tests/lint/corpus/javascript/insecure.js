// Insecure nodemailer / tls usage (labelled corpus).
const nodemailer = require("nodemailer");
const tls = require("tls");

const transport = nodemailer.createTransport({
  host: "smtp.example.org",
  port: 587,
  tls: {
    rejectUnauthorized: false, // expect: lint.js.reject_unauthorized_false
  },
});

const plain = nodemailer.createTransport({ host: "smtp.example.org", ignoreTLS: true }); // expect: lint.js.nodemailer_ignore_tls

const options = {};
options.rejectUnauthorized = false; // expect: lint.js.reject_unauthorized_false
tls.connect(993, "imap.example.org", options);

process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // expect: lint.js.node_tls_reject_unauthorized
process.env["NODE_TLS_REJECT_UNAUTHORIZED"] = 0; // expect: lint.js.node_tls_reject_unauthorized

const minified = { tls: { rejectUnauthorized: !1 } }; // expect: lint.js.reject_unauthorized_false
module.exports = { transport, plain, minified };

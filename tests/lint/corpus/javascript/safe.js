// Safe: rejectUnauthorized: false would accept any certificate, so we never write it.
const fs = require("fs");
const nodemailer = require("nodemailer");

const WARNING = "rejectUnauthorized: false and ignoreTLS: true are forbidden";
/* process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'; */

const transport = nodemailer.createTransport({
  host: "smtp.example.org",
  port: 587,
  requireTLS: true,
  ignoreTLS: false,
  tls: { rejectUnauthorized: true, ca: fs.readFileSync("corp-ca.pem") },
});

process.env.NODE_EXTRA_CA_CERTS = "/etc/ssl/corp-ca.pem";
if (process.env.NODE_TLS_REJECT_UNAUTHORIZED === "0") {
  throw new Error("refusing to run with certificate checks off");
}
module.exports = { transport, WARNING };

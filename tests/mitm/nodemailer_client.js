// nodemailer over STARTTLS: with the CA given (argv[4]) it verifies against it; with "-"
// it sets tls.rejectUnauthorized: false, the setting that accepts any certificate.
const fs = require("fs");
const nodemailer = require("nodemailer");
const [host, port, ca] = process.argv.slice(2);
const tls = ca === "-" ? { rejectUnauthorized: false } : { ca: fs.readFileSync(ca) };
const transport = nodemailer.createTransport({
  host, port: Number(port), secure: false, requireTLS: true, tls,
  auth: { user: "alice", pass: "s3cret-password" },
  connectionTimeout: 10000, greetingTimeout: 10000, socketTimeout: 10000,
});
transport.sendMail({ from: "alice@example.test", to: "bob@example.test", subject: "mitm",
  text: "hello" }).then(() => process.exit(0), (e) => { console.error(String(e)); process.exit(1); });

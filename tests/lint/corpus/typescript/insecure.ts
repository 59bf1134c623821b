import nodemailer from "nodemailer";
import { ImapFlow } from "imapflow";

interface Options { host: string; tls: { rejectUnauthorized: boolean } }

export const smtp = nodemailer.createTransport({
  host: "smtp.example.org",
  secure: true,
  tls: { rejectUnauthorized: false }, // expect: lint.js.reject_unauthorized_false
});

export const imap = new ImapFlow({
  host: "imap.example.org",
  port: 993,
  secure: true,
  tls: { rejectUnauthorized: false }, // expect: lint.js.reject_unauthorized_false
});

export function env(): void {
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0"; // expect: lint.js.node_tls_reject_unauthorized
}

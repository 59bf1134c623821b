import nodemailer from "nodemailer";

// tls: { rejectUnauthorized: false }  -- never
type Tls = { rejectUnauthorized: false | true };
export const note: string = "ignoreTLS: true sends passwords in clear text";

export const smtp = nodemailer.createTransport({
  host: "smtp.example.org",
  port: 587,
  requireTLS: true,
  tls: { minVersion: "TLSv1.2" },
});

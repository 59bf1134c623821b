<?php
// 'verify_peer' => false would disable checks; we keep them on.
use PHPMailer\PHPMailer\PHPMailer;

$help = "Do not set SMTPAutoTLS = false or 'allow_self_signed' => true";
$mail = new PHPMailer(true);
$mail->SMTPSecure = PHPMailer::ENCRYPTION_STARTTLS;
$mail->SMTPAutoTLS = true;
$mail->SMTPOptions = ['ssl' => ['verify_peer' => true, 'verify_peer_name' => true, 'cafile' => '/etc/ssl/corp-ca.pem']];
$dsn = 'smtp://user:pass@smtp.example.org:587';
$ch = curl_init('smtps://smtp.example.org');
curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, true);
curl_setopt($ch, CURLOPT_SSL_VERIFYHOST, 2);

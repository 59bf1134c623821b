<?php
use PHPMailer\PHPMailer\PHPMailer;

$mail = new PHPMailer(true);
$mail->isSMTP();
$mail->SMTPOptions = [
    'ssl' => [
        'verify_peer' => false, // expect: lint.php.verify_peer_off
        'verify_peer_name' => false, // expect: lint.php.verify_peer_off
        'allow_self_signed' => true, // expect: lint.php.allow_self_signed
    ],
];
$mail->SMTPAutoTLS = false; // expect: lint.php.smtp_auto_tls_off

$transport = (new Swift_SmtpTransport('smtp.example.org', 587, 'tls'))
    ->setStreamOptions(array('ssl' => array('allow_self_signed' => true, 'verify_peer' => false))); // expect: lint.php.allow_self_signed, lint.php.verify_peer_off

$dsn = 'smtp://user:pass@smtp.example.org:587?verify_peer=0'; // expect: lint.php.mailer_dsn_verify_peer

$ch = curl_init('smtps://smtp.example.org');
curl_setopt($ch, CURLOPT_SSL_VERIFYPEER, false); // expect: lint.php.curl_verify_off
curl_setopt($ch, CURLOPT_SSL_VERIFYHOST, 0); // expect: lint.php.curl_verify_off
curl_setopt_array($ch, [CURLOPT_SSL_VERIFYPEER => 0]); // expect: lint.php.curl_verify_off

<?php
/*
 * Shared by main.php and public.php: the plugin's settings, Octet's URL, HTTP calls and the
 * page assertion. Runs on the PHP the CRM ships; uses only curl, json and hash.
 */

declare(strict_types=1);

const OCTET_ASSERTION_SECONDS = 60;

/** Octet pages the menu and widgets name (page=...). */
const OCTET_PAGES = [
    'accounts' => '/accounts',
    'billing' => '/billing/runs',
    'invoices' => '/invoices',
    'dunning' => '/dunning',
    'reports' => '/reports',
    'payments' => '/payments',
];

function octet_read_json(string $file): array
{
    if (!is_readable($file)) {
        return [];
    }
    $data = json_decode((string) file_get_contents($file), true);
    return is_array($data) ? $data : [];
}

/** data/config.json holds the manifest's configuration values; ucrm.json is written by the CRM. */
function octet_settings(string $dir): array
{
    $config = octet_read_json($dir . '/data/config.json');
    $ucrm = octet_read_json($dir . '/ucrm.json');
    return [
        'octetUrl' => rtrim((string) ($config['octetUrl'] ?? ''), '/'),
        'signingKey' => (string) ($config['octetSigningKey'] ?? ''),
        'ucrmPublicUrl' => (string) ($ucrm['ucrmPublicUrl'] ?? ''),
        'ucrmLocalUrl' => (string) ($ucrm['ucrmLocalUrl'] ?? ''),
    ];
}

/** Appends to data/plugin.log, which the CRM shows on the plugin's page. Never given a secret. */
function octet_log(string $dir, string $message): void
{
    @file_put_contents($dir . '/data/plugin.log', gmdate('Y-m-d H:i:s') . ' ' . $message . "\n", FILE_APPEND);
}

/**
 * One HTTP request. Returns [status, body]; status 0 when the peer could not be reached.
 *
 * @param string[] $headers
 */
function octet_http(string $method, string $url, array $headers = [], ?string $body = null, int $timeout = 10): array
{
    $c = curl_init();
    curl_setopt($c, CURLOPT_URL, $url);
    curl_setopt($c, CURLOPT_CUSTOMREQUEST, $method);
    curl_setopt($c, CURLOPT_HTTPHEADER, $headers);
    curl_setopt($c, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($c, CURLOPT_TIMEOUT, $timeout);
    curl_setopt($c, CURLOPT_SSL_VERIFYPEER, true);
    curl_setopt($c, CURLOPT_SSL_VERIFYHOST, 2);
    if ($body !== null) {
        curl_setopt($c, CURLOPT_POSTFIELDS, $body);
    }
    $result = curl_exec($c);
    $status = curl_errno($c) ? 0 : (int) curl_getinfo($c, CURLINFO_HTTP_CODE);
    curl_close($c);
    return [$status, is_string($result) ? $result : ''];
}

function octet_base64url(string $bytes): string
{
    return rtrim(strtr(base64_encode($bytes), '+/', '-_'), '=');
}

/**
 * The short-lived proof Octet accepts instead of a password: who the CRM says the user is,
 * when it expires, and a nonce Octet remembers so it is used once.
 * Format: base64url(JSON payload) "." base64url(HMAC-SHA256(that first part, signing key)).
 */
function octet_assertion(array $user, string $signingKey, int $now, ?int $clientId = null): string
{
    $payload = [
        'v' => 1,
        'aud' => 'octet/uisp',
        'userId' => (int) $user['userId'],
        'username' => (string) ($user['username'] ?? ''),
        'userGroup' => (string) ($user['userGroup'] ?? ''),
        'iat' => $now,
        'exp' => $now + OCTET_ASSERTION_SECONDS,
        'nonce' => bin2hex(random_bytes(16)),
    ];
    if ($clientId !== null) {
        $payload['clientId'] = $clientId;
    }
    $body = octet_base64url((string) json_encode($payload, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE));
    return $body . '.' . octet_base64url(hash_hmac('sha256', $body, $signingKey, true));
}

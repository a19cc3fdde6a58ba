<?php
/*
 * The plugin's public URL. GET: a page for signed-in CRM staff, which opens Octet in an iframe
 * with a 60-second signed assertion. POST: a CRM webhook event, forwarded as it came to Octet,
 * which confirms it with GET /webhook-events/{uuid} before acting (CRM webhooks are not signed).
 */

declare(strict_types=1);

require __DIR__ . '/lib.php';

function octet_fail(int $status, string $message): void
{
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    header('Cache-Control: no-store');
    echo $message, "\n";
}

/**
 * Asks the CRM who holds this browser's session, as the plugin security docs describe: the
 * session cookie goes to <ucrmPublicUrl>current-user; 403 means nobody. UCRM 2 names the cookie
 * PHPSESSID; UISP 1.x nms-crm-php-session-id and nms-session: whichever came is forwarded.
 */
function octet_current_user(string $ucrmPublicUrl): ?array
{
    $cookies = [];
    foreach (['PHPSESSID', 'nms-crm-php-session-id', 'nms-session'] as $name) {
        $value = preg_replace('~[^a-zA-Z0-9._-]~', '', (string) ($_COOKIE[$name] ?? ''));
        if ($value !== '') {
            $cookies[] = $name . '=' . $value;
        }
    }
    if ($cookies === [] || $ucrmPublicUrl === '') {
        return null;
    }
    [$status, $body] = octet_http('GET', $ucrmPublicUrl . 'current-user', ['Content-Type: application/json', 'Cookie: ' . implode('; ', $cookies)]);
    if ($status !== 200) {
        return null;
    }
    $user = json_decode($body, true);
    return is_array($user) && isset($user['userId']) ? $user : null;
}

function octet_page(array $settings): void
{
    if ($settings['octetUrl'] === '' || strlen($settings['signingKey']) < 32) {
        octet_fail(503, 'The Octet plugin is not configured: set the Octet URL and signing key on its settings page.');
        return;
    }
    $user = octet_current_user($settings['ucrmPublicUrl']);
    if ($user === null) {
        octet_fail(403, 'Sign in to the CRM to open Octet.');
        return;
    }
    if (!empty($user['isClient'])) {
        octet_fail(403, 'Octet is for staff; client accounts cannot open it.');
        return;
    }
    $page = (string) ($_GET['page'] ?? 'accounts');
    $clientId = null;
    $query = [];
    if ($page === 'client') {
        $raw = (string) ($_GET['_clientId'] ?? '');
        if (!preg_match('~^[1-9][0-9]{0,18}$~', $raw)) {
            octet_fail(400, 'No client given.');
            return;
        }
        $clientId = (int) $raw;
        // Octet's account list finds an account by its external id, which is the CRM client id.
        $path = '/accounts';
        $query['q'] = (string) $clientId;
    } elseif (isset(OCTET_PAGES[$page])) {
        $path = OCTET_PAGES[$page];
    } else {
        octet_fail(404, 'No such Octet page.');
        return;
    }
    // Octet reads a host's word on the staff member from `sash` (the name Splynx gave it); for
    // UISP it is this assertion.
    $query['sash'] = octet_assertion($user, $settings['signingKey'], time(), $clientId);
    $src = $settings['octetUrl'] . $path . '?' . http_build_query($query);
    header('Content-Type: text/html; charset=utf-8');
    header('Cache-Control: no-store');
    header('Referrer-Policy: no-referrer');
    $e = static fn (string $s): string => htmlspecialchars($s, ENT_QUOTES | ENT_HTML5, 'UTF-8');
    echo '<!doctype html><html><head><meta charset="utf-8"><title>Octet</title>',
        '<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%;display:block}</style></head><body>',
        '<iframe id="octet" title="Octet" src="', $e($src), '"></iframe></body></html>';
}

function octet_forward_webhook(array $settings): void
{
    $body = (string) file_get_contents('php://input');
    $event = json_decode($body, true);
    if (!is_array($event) || !isset($event['uuid']) || !is_string($event['uuid'])) {
        octet_fail(400, 'Not a CRM webhook event.');
        return;
    }
    if ($settings['octetUrl'] === '') {
        octet_log(__DIR__, 'webhook ' . $event['uuid'] . ' not forwarded: Octet URL is not set');
        octet_fail(503, 'Octet URL is not set.');
        return;
    }
    [$status] = octet_http('POST', $settings['octetUrl'] . '/host/uisp/webhook', ['Content-Type: application/json'], $body);
    if ($status === 0 || $status >= 500) {
        octet_log(__DIR__, 'webhook ' . $event['uuid'] . ' not delivered to Octet (status ' . $status . ')');
        octet_fail(502, 'Octet did not take the event.');
        return;
    }
    http_response_code($status);
    header('Content-Type: text/plain; charset=utf-8');
    echo "forwarded\n";
}

$settings = octet_settings(__DIR__);
if (($_SERVER['REQUEST_METHOD'] ?? 'GET') === 'POST') {
    octet_forward_webhook($settings);
} else {
    octet_page($settings);
}

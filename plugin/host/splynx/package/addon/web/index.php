<?php
/*
 * The add-on's one page: sends the admin on to the Octet page the menu link or tab names, with
 * the `sash` Splynx gave this request, so Octet can ask Splynx's API which administrator it is.
 * No password or key leaves this script.
 */

declare(strict_types=1);

const OCTET_PAGES = [
    'accounts' => '/accounts',
    'invoices' => '/invoices',
    'billing' => '/billing/runs',
    'dunning' => '/dunning',
    'reports' => '/reports',
    'payments' => '/payments',
];

/**
 * Octet's URL: the add-on setting when the Splynx framework is loaded (UNVERIFIED: ConfigHelper
 * is how third-party notes say add-ons read config.json values), else the file the package's
 * postinst created (OCTET_SPLYNX_ADDON_INI names another file, for tests).
 */
function octet_url(): string
{
    $url = '';
    if (class_exists('\splynx\helpers\ConfigHelper')) {
        $url = (string) \splynx\helpers\ConfigHelper::get('octet_url');
    }
    $file = getenv('OCTET_SPLYNX_ADDON_INI') ?: '/etc/octet/splynx-addon.ini';
    if ($url === '' && is_readable($file)) {
        $ini = parse_ini_file($file);
        $url = is_array($ini) ? (string) ($ini['octet_url'] ?? '') : '';
    }
    return rtrim($url, '/');
}

function octet_target(array $query, string $base): ?string
{
    $page = (string) ($query['page'] ?? 'accounts');
    $sash = preg_replace('~[^A-Za-z0-9]~', '', (string) ($query['sash'] ?? ''));
    if ($page === 'customer') {
        $id = (string) ($query['customer_id'] ?? $query['id'] ?? '');
        if (!preg_match('~^[1-9][0-9]{0,18}$~', $id)) {
            return null;
        }
        // Octet's account list finds an account by its external id, the Splynx customer id.
        return $base . '/accounts?' . http_build_query(['q' => $id, 'sash' => $sash]);
    } elseif (isset(OCTET_PAGES[$page])) {
        $path = OCTET_PAGES[$page];
    } else {
        return null;
    }
    return $base . $path . '?' . http_build_query(['sash' => $sash]);
}

$base = octet_url();
if ($base === '') {
    http_response_code(503);
    header('Content-Type: text/plain; charset=utf-8');
    echo "Octet's URL is not set: Config → Integrations → Modules list → Octet, or octet_url in /etc/octet/splynx-addon.ini.\n";
    exit;
}
$target = octet_target($_GET, $base);
if ($target === null) {
    http_response_code(404);
    header('Content-Type: text/plain; charset=utf-8');
    echo "No such Octet page.\n";
    exit;
}
header('Cache-Control: no-store');
header('Location: ' . $target, true, 302);

<?php
/*
 * Run by the CRM's cron (or "Execute manually"): checks that Octet answers and says so in the
 * plugin log. The work itself happens in Octet; this only makes a broken link visible.
 */

declare(strict_types=1);

require __DIR__ . '/lib.php';

$settings = octet_settings(__DIR__);
if ($settings['octetUrl'] === '') {
    octet_log(__DIR__, 'Octet URL is not set: open the plugin settings.');
    exit(0);
}
[$status] = octet_http('GET', $settings['octetUrl'] . '/healthz');
octet_log(__DIR__, $status === 200 ? 'Octet answers at ' . $settings['octetUrl'] : 'Octet does not answer at ' . $settings['octetUrl'] . ' (status ' . $status . ')');

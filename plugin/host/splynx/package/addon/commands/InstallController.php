<?php
/*
 * Octet's Splynx add-on: registration only. Octet itself is a Node service (octet.service) beside
 * Splynx; this add-on gives it an API key with the permissions below and puts links to its pages
 * in the admin menu and a tab on the customer page.
 *
 * UNVERIFIED: the shape of this class (BaseInstallController and the methods it calls) follows a
 * third-party description of splynx-addon-skeleton, not Splynx's own documentation, which was not
 * readable. Check it against the skeleton on a real box before shipping; everything Splynx-specific
 * is in this file and config/config.json.
 */

namespace app\commands;

use splynx\base\BaseInstallController;

class InstallController extends BaseInstallController
{
    public $module_status = self::MODULE_STATUS_ENABLED;

    public static $minimumSplynxVersion = '4.0';

    public function getAddOnTitle(): string
    {
        return 'Octet usage billing';
    }

    /** At most 32 characters. */
    public function getModuleName(): string
    {
        return 'splynx_octet';
    }

    /**
     * What Octet reads and writes through the API key Splynx creates for the add-on: customers and
     * their internet services (sync, suspension), invoices and transactions (posting usage charges),
     * payments (reading them), and the administrator behind a `sash` (page sign-in).
     */
    public function getApiPermissions(): array
    {
        return [
            ['controller' => 'api\admin\customers\Customer', 'actions' => ['index', 'view', 'update']],
            ['controller' => 'api\admin\customers\CustomerInternetServices', 'actions' => ['index', 'view', 'update']],
            ['controller' => 'api\admin\finance\Invoices', 'actions' => ['index', 'view', 'add']],
            ['controller' => 'api\admin\finance\Transactions', 'actions' => ['index', 'view', 'add']],
            ['controller' => 'api\admin\finance\Payments', 'actions' => ['index', 'view']],
            ['controller' => 'api\admin\administration\Administrators', 'actions' => ['index', 'view']],
        ];
    }

    /**
     * Every link opens the add-on's web/index.php, which sends the browser on to Octet's page with
     * the admin's `sash`, so Octet learns who is calling from Splynx, not from a shared password.
     */
    public function getEntryPoints(): array
    {
        $page = static function (string $name): string {
            return urlencode('/splynx-octet/?page=' . $name);
        };

        return [
            ['name' => 'octet_usage', 'title' => 'Octet: usage', 'root' => 'controllers\admin\CustomersController', 'place' => 'admin', 'type' => 'menu_link', 'url' => $page('accounts'), 'icon' => 'fa-tachometer'],
            ['name' => 'octet_invoices', 'title' => 'Octet: invoices', 'root' => 'controllers\admin\FinanceController', 'place' => 'admin', 'type' => 'menu_link', 'url' => $page('invoices'), 'icon' => 'fa-file-text-o'],
            ['name' => 'octet_billing_runs', 'title' => 'Octet: billing runs', 'root' => 'controllers\admin\FinanceController', 'place' => 'admin', 'type' => 'menu_link', 'url' => $page('billing'), 'icon' => 'fa-calculator'],
            ['name' => 'octet_dunning', 'title' => 'Octet: dunning', 'root' => 'controllers\admin\FinanceController', 'place' => 'admin', 'type' => 'menu_link', 'url' => $page('dunning'), 'icon' => 'fa-bell-o'],
            ['name' => 'octet_reports', 'title' => 'Octet: reports', 'root' => 'controllers\admin\ReportsController', 'place' => 'admin', 'type' => 'menu_link', 'url' => $page('reports'), 'icon' => 'fa-bar-chart'],
            // A tab on the customer page; web/index.php adds the customer id Splynx passes.
            ['name' => 'octet_customer_tab', 'title' => 'Usage billing', 'root' => 'controllers\admin\CustomersController', 'place' => 'admin', 'type' => 'tab', 'url' => $page('customer'), 'icon' => 'fa-tachometer'],
        ];
    }
}

import type { Command } from 'commander';

/** `octet package splynx-deb|uisp-zip --out DIR`: builds the host add-on packages from this checkout. */
export function registerPackage(program: Command): void {
  const pkg = program.command('package').description('build the host add-ons: the Splynx .deb or the UISP CRM plugin ZIP');
  pkg
    .command('splynx-deb')
    .description('build splynx-octet_<version>_all.deb (Octet as a service beside Splynx, and its add-on) with dpkg-deb')
    .requiredOption('--out <dir>', 'directory to write the package to (created if missing)')
    .action(async (opts: { out: string }) => {
      const { buildSplynxDeb } = await import('../../host/index.js');
      const built = await buildSplynxDeb({ outDir: opts.out });
      process.stdout.write(`${built.path}\n`);
    });
  pkg
    .command('uisp-zip')
    .description('build octet-uisp-plugin-<version>.zip for System → Plugins in UISP CRM')
    .requiredOption('--out <dir>', 'directory to write the ZIP to (created if missing)')
    .action(async (opts: { out: string }) => {
      const { buildUispZip } = await import('../../host/index.js');
      const built = await buildUispZip({ outDir: opts.out });
      process.stdout.write(`${built.path}\n`);
    });
}

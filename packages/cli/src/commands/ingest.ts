import { relative } from 'node:path';
import { ingest, definedOnly } from '@lanes/contracts';
import type { CliCommand } from '../command.ts';
import { optionalPositiveInt, parseCommandArgs, UsageError } from '../support/args.ts';
import { withContext } from '../support/context.ts';
import { expandDocumentPaths } from '../support/document-paths.ts';
import { reportJobs } from '../support/jobs-report.ts';
import { printNote } from '../support/output.ts';
import { tenantFlag } from '../support/tenant-flag.ts';

const usage = `Usage: lanes ingest PATH... [--tenant T] [--wait] [--json]

Enqueues one \`ingest\` job per file; folders are walked for .pdf, .txt and .md files,
skipping node_modules, dot-folders and dot-files, what .gitignore files ignore, and symbolic
links that lead out of the folder (how many were skipped is said on stderr).
Re-ingesting an unchanged document does no embedding work.

Options:
  --tenant T    the documents belong to tenant T: only searches for T find them (and T's
                jobs share the lane fairly with other tenants')
  --wait        wait for every job and print its result (exit 1 if any failed); on a
                terminal, a progress bar per document (pages parsed, chunks embedded)
  --timeout MS  with --wait, give up after MS milliseconds (says so on stderr, exit 1)
  --json        print one JSON document: { "jobs": [...] }
`;

export const ingestCommand: CliCommand = {
  name: 'ingest',
  summary: 'enqueue `ingest` for files or folders (pdf, txt, md)',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      tenant: { type: 'string' },
    });
    const tenant = tenantFlag(values.tenant);
    if (positionals.length === 0) throw new UsageError('expected at least one PATH');
    const { files, skippedFiles, skippedFolders } = await expandDocumentPaths(positionals);
    if (skippedFiles + skippedFolders > 0)
      printNote(
        `skipped ${skippedFiles} file(s) and ${skippedFolders} folder(s): node_modules, dot-folders, .gitignore'd, links leading out`,
      );
    if (files.length === 0) throw new UsageError(`no .pdf, .txt or .md files under ${positionals.join(', ')}`);
    return withContext(undefined, async ({ client }) => {
      const handles = await client.enqueueBulk(
        ingest,
        files.map((path) =>
          tenant === undefined ? { payload: { path } } : { payload: { path, tenant }, options: { tenant } },
        ),
      );
      return reportJobs(client, handles, {
        wait: values.wait === true,
        json: values.json === true,
        labels: files.map((path) => relative(process.cwd(), path) || path),
        ...definedOnly({ timeoutMs: optionalPositiveInt('--timeout', values.timeout) }),
      });
    });
  },
};

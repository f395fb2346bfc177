// What the chart tests share: where the chart, helm and the npm packages are.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CHART = join(REPO, 'deploy', 'helm', 'mcp-gateway');
export const DEPS = resolve(process.env.MCP_GATEWAY_DEPS || join(REPO, '.deps'));
export const HELM = process.env.HELM_BIN;
if (!HELM) throw new Error('HELM_BIN is not set (tests/helm/run.sh sets it)');

// npm packages live in <repo>/.deps/node_modules, off this file's search path.
export const depsRequire = createRequire(join(DEPS, 'package.json'));
export const YAML = depsRequire('yaml');

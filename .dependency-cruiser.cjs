// Layer rules for the daemon (issue 17), checked by `npm run lint`.
// Paths are relative to the repository root; `D` is the daemon's source root.
const D = '^packages/daemon/src/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-folder-cycle',
      comment:
        "No import cycle between the daemon's top-level folders (packages/daemon/src/*): " +
        'a lower layer never reaches back up, types included.',
      severity: 'error',
      scope: 'folder',
      from: { path: D },
      to: { circular: true },
    },
    {
      name: 'core-no-node',
      comment: 'core/ is the functional core: no node: module (no I/O, no timers, no processes).',
      severity: 'error',
      from: { path: `${D}core/` },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'core-only-core-and-protocol',
      comment: 'core/ imports nothing outside core/ except @oj/protocol (types and pure helpers).',
      severity: 'error',
      // Its unit tests may use the test runner (and nothing else from outside).
      from: { path: `${D}core/`, pathNot: '\\.test\\.ts$' },
      to: { pathNot: [`${D}core/`, '^packages/protocol/src/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'core-tests-only-core-protocol-vitest',
      comment: "core/'s unit tests import core/, @oj/protocol and vitest only.",
      severity: 'error',
      from: { path: `${D}core/.*\\.test\\.ts$` },
      to: { pathNot: [`${D}core/`, '^packages/protocol/src/', '^node_modules/vitest/', '^test/prng/prng\\.ts$'] },
    },
    {
      name: 'sqlite-through-driver',
      comment:
        'better-sqlite3 is loaded only by storage/sqlite-driver.ts (13 on Node >= 22, 12 on Node 20: ' +
        'loading 13 on Node 20 crashes the process); everything else takes Sqlite from there (types may be imported).',
      severity: 'error',
      from: { pathNot: '^packages/daemon/src/storage/sqlite-driver\\.ts$' },
      to: { path: '^node_modules/better-sqlite3(-node20)?/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'storage-below-services',
      comment:
        'storage/ is below the services: it does not import engine/, queues/, crons/ or coordination/ ' +
        '(types included); shared types live in the runbook model, core/ or @oj/protocol.',
      severity: 'error',
      from: { path: `${D}storage/` },
      to: { path: `${D}(engine|queues|crons|coordination)/` },
    },
    {
      name: 'handlers-not-main',
      comment: 'handlers/ are called by main/ (the wiring); they never import it.',
      severity: 'error',
      from: { path: `${D}handlers/` },
      to: { path: `${D}main/` },
    },
    {
      name: 'no-deep-cross-package',
      comment: "A package reaches another only through its name and exports (@oj/protocol), never by a path into its folder.",
      severity: 'error',
      from: { path: '^packages/([^/]+)/' },
      to: { path: '^packages/', pathNot: '^packages/$1/', dependencyTypesNot: ['aliased'] },
    },
    {
      name: 'no-non-package-json',
      comment:
        'Every npm package imported is declared in the importing package.json or the root one ' +
        '(a package present only as some other package\'s dependency can vanish on any install).',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-test',
      comment: 'Nothing imports a test file.',
      severity: 'error',
      from: { pathNot: '\\.test\\.ts$' },
      to: { path: '\\.test\\.ts$' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a typo or a missing dependency); build output (dist/) may not exist yet when linting.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '(^|/)dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^packages/[^/]+/dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.lint.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    // A workspace package may use what the root declares (vitest, typescript...).
    combinedDependencies: true,
  },
};

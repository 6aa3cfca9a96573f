// The layers of lib/, one way down (README, "How it is built"). `npm run lint` runs these rules;
// a new import that points up, or sideways where it must not, fails CI naming the rule it broke.
//
//   core         errors, config, ids, keys, time, the store port and the other ports
//   records      model + repository per stored thing (graphs, backups, jobs, policies, projects)
//   adapters     the ports on AWS (DynamoDB, S3, SQS, EventBridge) and in memory
//   runtime      the job engine: taking, running, failing and sweeping jobs, the task contract
//   operations   one folder per kind of job (API side, worker side, typed variant) + catalog, policies
//   http         the wire: requests, errors, GES views, authentication
//   composition  what each Lambda builds, the task registry
//   functions/   the Lambda handlers: parse, call one use case, shape the answer
const layer = (name) => `^lib/${name}/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-the-ground',
      comment: 'lib/core imports nothing else of lib/: it is what every layer stands on.',
      severity: 'error',
      from: { path: layer('core') },
      to: { path: '^lib/(?!core/)' },
    },
    {
      name: 'records-stand-on-core',
      comment: 'A record module knows only core and other records: no use case, adapter or wire.',
      severity: 'error',
      from: { path: layer('records') },
      to: { path: '^lib/(adapters|runtime|operations|http|composition)/' },
    },
    {
      name: 'adapters-implement-core',
      comment: 'An adapter implements a port of core; it knows no record, use case or wire.',
      severity: 'error',
      from: { path: layer('adapters') },
      to: { path: '^lib/(records|runtime|operations|http|composition)/' },
    },
    {
      name: 'runtime-runs-any-kind',
      comment: 'The job engine knows no kind of job (they register in composition/tasks.ts).',
      severity: 'error',
      from: { path: layer('runtime') },
      to: { path: '^lib/(adapters|operations|http|composition)/' },
    },
    {
      name: 'operations-use-ports',
      comment: 'Use cases reach storage through ports, never an adapter, and know nothing of HTTP.',
      severity: 'error',
      from: { path: layer('operations') },
      to: { path: '^lib/(adapters|http|composition)/' },
    },
    {
      name: 'a-kind-stands-alone',
      comment:
        'A kind of job (backup, restore, delete-graph, export, import) does not import another kind; ' +
        'shared pieces live in records/ or catalog/.',
      severity: 'error',
      from: { path: '^lib/operations/(backup|restore|delete-graph|export|import)/' },
      to: {
        path: '^lib/operations/(backup|restore|delete-graph|export|import)/',
        pathNot: [
          '^lib/operations/$1/',
          // export and import share one typed variant of their jobs
          '^lib/operations/export/job\\.ts$',
        ],
      },
    },
    {
      name: 'http-is-the-edge',
      comment: 'The wire layer knows records and core; it never builds clients or reaches adapters.',
      severity: 'error',
      from: { path: layer('http') },
      to: { path: '^lib/(adapters|runtime/(?!deps)|composition)/' },
    },
    {
      name: 'handlers-are-thin',
      comment: 'A handler composes, parses and calls a use case: no adapter or repository of its own.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: '^lib/adapters/' },
    },
    {
      name: 'no-circular',
      comment: 'No module depends on itself through others.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json'] },
  },
};

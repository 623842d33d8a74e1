// PostGraphile 5 as bench/run.sh runs it: the Amber preset over the public
// schema of $DATABASE_URL, on 127.0.0.1:$PORT.
//
// PgIndexBehaviorsPlugin is disabled: it hides relations whose foreign key
// has no plain index, and pivotal's are covered by partial indexes (WHERE
// deleted_at IS NULL), so without this customers would have no contacts or
// onboardings fields.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

export default {
  extends: [PostGraphileAmberPreset],
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: 16 },
    }),
  ],
  grafserv: { host: "127.0.0.1", port: Number(process.env.PORT || 5678) },
  grafast: { explain: false },
};

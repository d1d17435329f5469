// A new user's first program with the TypeScript types generated from openapi.yaml
// (openapi-typescript, default options) and openapi-fetch. tests/test_generated_clients.py
// generates ./api.d.ts beside this file in a temp folder, type-checks it with
// `tsc --strict` and runs it with node against a live mock (MOCK_URL, MOCK_KEY, WORKFLOW_ID).
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

// node's globals, declared here so the check needs no @types/node
declare const process: { env: Record<string, string | undefined> };

type Run = components["schemas"]["SimplifiedRun"];
type RunRequest = components["schemas"]["RunRequest"];

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function check(ok: boolean, what: string, seen?: unknown): asserts ok {
  if (!ok) throw new Error(`${what}: ${JSON.stringify(seen)}`);
}

const client = createClient<paths>({
  baseUrl: need("MOCK_URL"),
  headers: { "X-API-Key": need("MOCK_KEY") },
});
const workflow_id = need("WORKFLOW_ID");

async function main(): Promise<void> {
  // create -> poll until completed, then read the typed output (README's body, as is)
  const body: RunRequest = { input: { "User Question": "What is machine learning?" } };
  const created = await client.POST("/v1/workflows/{workflow_id}/runs", {
    params: { path: { workflow_id }, header: { Prefer: "duration=300ms" } },
    body,
  });
  check(created.data !== undefined, "create", created.error);
  let run: Run = created.data;
  const deadline = Date.now() + 20_000;
  while (run.status !== "completed") {
    check(Date.now() < deadline, "still not completed after 20 s", run.status);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const polled = await client.GET("/v1/workflows/{workflow_id}/runs/{run_id}", {
      params: { path: { workflow_id, run_id: run.id } },
    });
    check(polled.data !== undefined && "created_at" in polled.data, "poll", polled.error);
    run = polled.data;
  }
  const expected: Run["output"] = { Answer: "Mock answer to: What is machine learning?" };
  const answer = run.output?.["Answer"];
  check(typeof answer === "string" && answer === expected?.["Answer"], "output.Answer", run.output);

  // list a page
  const page = await client.GET("/v1/workflows/{workflow_id}/runs", {
    params: { path: { workflow_id }, query: { page: 1, size: 10 } },
  });
  check(page.data !== undefined, "list", page.error);
  check(page.data.total >= 1 && page.data.items.some((item) => item.id === run.id), "page", page.data);

  // stopping a finished run is a typed 409
  const stopped = await client.POST("/v1/runs/{run_id}/stop", {
    params: { path: { run_id: run.id } },
  });
  check(stopped.response.status === 409 && stopped.error !== undefined, "stop", stopped.data);
  const conflict: components["schemas"]["ErrorMessage"] | components["schemas"]["HTTPValidationError"] =
    stopped.error;
  check(typeof conflict.detail === "string" && conflict.detail.includes("completed"), "409", conflict);

  // `{}` is a typed 422 (the types refuse it, so the bad body is forced on purpose)
  const refused = await client.POST("/v1/workflows/{workflow_id}/runs", {
    params: { path: { workflow_id } },
    body: {} as unknown as RunRequest,
  });
  check(refused.response.status === 422 && refused.error !== undefined, "422", refused.data);
  const invalid = refused.error;
  check(
    Array.isArray(invalid.detail) && invalid.detail.every((item) => typeof item.msg === "string"),
    "422 detail",
    invalid,
  );
  console.log(`typescript client: ok (${JSON.stringify(answer)})`);
}

main().catch((error: unknown) => {
  console.error(error);
  throw error;
});

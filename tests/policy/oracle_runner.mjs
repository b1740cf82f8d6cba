// Runs a batch of authorization cases through @cloud-copilot/iam-simulate (an external,
// independently written evaluator) and prints one result per case as a JSON array.
// Usage: node oracle_runner.mjs <path to the installed iam-simulate package> < cases.json
// The package is AGPL and is only ever installed at test time; nothing of it is in this repo.
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const packageDir = process.argv[2]
const entry = pathToFileURL(join(packageDir, 'dist', 'esm', 'index.js')).href
const { runSimulation } = await import(entry)

const cases = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const simulation of cases) {
  try {
    const out = await runSimulation(simulation, { simulationMode: 'Strict' })
    if (out.resultType === 'error') {
      results.push({ error: JSON.stringify(out.errors) })
    } else if (out.resultType === 'single') {
      results.push({ result: out.overallResult })
    } else {
      results.push({ result: out.overallResult, wildcard: true })
    }
  } catch (err) {
    results.push({ error: String(err) })
  }
}
process.stdout.write(JSON.stringify(results))

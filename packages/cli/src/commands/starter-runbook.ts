/** The commented starter runbook `oj init` writes. */
export const STARTER_RUNBOOK = `# A starter runbook. Each file in .oj/runbooks is a runbook named after the
# file; it defines entrypoints (command, worker, cron) and the building blocks
# they use (pipeline, agent, guard, lock, queue...). See docs/runbooks.md.
#
# Try:  oj run hello world      oj run greet-all alice bob --wait

# Say hello. The comment above a command is its description in \`oj run\`.
[command.hello]
args = "<name> [--shout]"
run = "echo 'hello {name}'; test {shout} = true && echo 'HELLO {name}!' || true"

# Greet several people through a pipeline with phases.
[command.greet-all]
args = "<names...>"
run = { pipeline = "greet" }

[pipeline.greet]
inputs = ["names"]

[[pipeline.greet.phase]]
name = "prepare"
run = "echo preparing greetings for {names}"

[[pipeline.greet.phase]]
name = "greet"
run = "for n in {names}; do echo \\"hi $n\\"; done"

[pipeline.greet.events]
on_complete = "echo 'greeted {names}' >> .oj/greetings.log"
`;

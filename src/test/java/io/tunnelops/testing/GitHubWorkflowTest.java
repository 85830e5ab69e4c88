package io.tunnelops.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner emulation itself: what it hands from step to step, and that it refuses what it does not emulate. */
class GitHubWorkflowTest {

    @Test
    void stepsHandOnVariablesThroughGithubEnvInBothFormsAndPathsThroughGithubPath(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("workflow.yaml"), """
                on: {workflow_dispatch: {inputs: {who: {default: world}}}}
                env: {GREETING: "hello ${{ inputs.who }}"}
                jobs:
                  job:
                    defaults: {run: {shell: bash}}
                    steps:
                      - name: hand on
                        run: |
                          echo "ONE=1" >> "$GITHUB_ENV"
                          { echo "TWO<<EOF"; echo "a=b"; echo "c"; echo "EOF"; } >> "$GITHUB_ENV"
                          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho tool ran\\n' > "$RUNNER_TEMP/bin/tool"
                          chmod +x "$RUNNER_TEMP/bin/tool" && echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
                      - name: use
                        run: |
                          echo "$GREETING|$ONE|$TWO|$(tool)|$SECRET_COPY|$GITHUB_RUN_ID"
                        env: {SECRET_COPY: "${{ secrets.S }}"}
                      - name: fails
                        run: "false"
                      - name: skipped
                        run: echo never
                      - name: always
                        if: ${{ always() }}
                        run: echo "$ONE"
                """);
        Path temp = Files.createDirectories(dir.resolve("temp"));
        List<GitHubWorkflow.StepResult> steps = GitHubWorkflow.read(file).runJob("job", new GitHubWorkflow.RunContext(
                Map.of("who", "you"), Map.of("S", "s3"), "9", temp, dir, System.getenv()));

        assertEquals("hello you|1|a=b\nc|tool ran|s3|9\n", steps.get(1).output());
        assertEquals(List.of(GitHubWorkflow.Outcome.SUCCESS, GitHubWorkflow.Outcome.SUCCESS,
                GitHubWorkflow.Outcome.FAILURE, GitHubWorkflow.Outcome.SKIPPED, GitHubWorkflow.Outcome.SUCCESS),
                steps.stream().map(GitHubWorkflow.StepResult::outcome).toList());
        assertEquals("1\n", steps.get(4).output());
    }

    @Test
    void whatItDoesNotEmulateFailsInsteadOfRunningDifferently(@TempDir Path dir) throws IOException {
        for (String step : List.of("{name: a, uses: actions/checkout@v4}", "{name: b, if: failure(), run: 'true'}",
                "{name: c, run: 'true', env: {X: '${{ github.event.inputs.x }}'}}")) {
            Path file = Files.writeString(dir.resolve("w.yaml"),
                    "jobs: {job: {defaults: {run: {shell: bash}}, steps: [" + step + "]}}\n");
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> GitHubWorkflow.read(file)
                    .runJob("job", new GitHubWorkflow.RunContext(Map.of(), Map.of(), "1", dir, dir, System.getenv())));
            assertTrue(refused.getMessage().contains("supported"), refused.getMessage());
        }
    }
}

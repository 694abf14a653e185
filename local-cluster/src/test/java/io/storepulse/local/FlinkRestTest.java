package io.storepulse.local;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FlinkRestTest {

    @Test
    void shouldReduceAFailedMainToTheJobsOwnMessage() {
        // Given: Flink's answer when a job's main() throws during a REST submission
        String body =
                "{\"errors\":[\"org.apache.flink.runtime.rest.handler.RestHandlerException: Could not execute application.\\n"
                        + "\\tat org.apache.flink.runtime.webmonitor.handlers.JarRunHandler.lambda$handleRequest$1(JarRunHandler.java:114)\\n"
                        + "Caused by: org.apache.flink.client.program.ProgramInvocationException: The main method caused an error: authentication failed: Kafka at 127.0.0.1:9092 refused user 'app' (SCRAM-SHA-512): check it\\n"
                        + "\\tat org.apache.flink.client.program.PackagedProgram.callMainMethod(PackagedProgram.java:373)\\n\"]}";

        // When / Then: the one line the job wrote
        assertThat(FlinkRest.mainMethodFailure(body))
                .isEqualTo(
                        "authentication failed: Kafka at 127.0.0.1:9092 refused user 'app' (SCRAM-SHA-512): check it");
        assertThat(FlinkRest.mainMethodFailure("{\"errors\":[\"Not found\"]}")).isNull();
    }
}

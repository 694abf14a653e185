package io.storepulse.testing;

import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestPlan;

/**
 * Stops the {@link SharedStack} when a test JVM's test plan has finished, while the JVM still runs,
 * instead of in a shutdown hook that races Kafka's own (see {@link SharedStack#stopIfStarted}).
 * Registered through {@code META-INF/services}.
 */
public final class StopSharedStack implements TestExecutionListener {

    @Override
    public void testPlanExecutionFinished(TestPlan testPlan) {
        SharedStack.stopIfStarted();
    }
}

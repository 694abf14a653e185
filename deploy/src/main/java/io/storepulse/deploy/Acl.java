package io.storepulse.deploy;

import io.storepulse.topics.StorepulseJob;
import io.storepulse.topics.Topic;
import io.storepulse.topics.Topics;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One allow rule of a Strimzi {@code KafkaUser} ({@code simple} authorization).
 *
 * @param resourceType {@code topic}, {@code group}, {@code transactionalId} or {@code cluster}
 * @param name resource name (or prefix); null for the cluster
 * @param patternType {@code literal} or {@code prefix}; null for the cluster
 * @param operations Kafka operations, e.g. {@code Read}, {@code Describe}
 */
public record Acl(String resourceType, String name, String patternType, List<String> operations) {

    static final List<String> READ = List.of("Read", "Describe");
    static final List<String> WRITE = List.of("Write", "Describe");

    /**
     * Least privilege for a job: read its inputs (and commit offsets in the consumer group named
     * after it), write its outputs (transactionally, under the transactional id prefix = job id),
     * and read the brokers' configuration: {@code JobLauncher} checks at start-up that the broker's
     * {@code transaction.max.timeout.ms} allows the job's transaction timeout (DescribeConfigs on
     * the cluster). Nothing else: no Create, no other topic, no write to the cluster.
     */
    public static List<Acl> forJob(StorepulseJob job) {
        List<Acl> acls = new ArrayList<>();
        for (Topic<?> in : job.inputs()) {
            acls.add(new Acl("topic", in.name(), "literal", READ));
        }
        acls.add(new Acl("group", job.id(), "literal", List.of("Read")));
        for (Topic<?> out : job.outputs()) {
            acls.add(new Acl("topic", out.name(), "literal", WRITE));
        }
        acls.add(new Acl("transactionalId", job.id(), "prefix", WRITE));
        acls.add(new Acl("cluster", null, null, List.of("DescribeConfigs")));
        return acls;
    }

    /** Name of the human operators' KafkaUser (reading dead letters, replaying inputs). */
    public static final String OPS_USER = "storepulse-ops";

    /** Consumer group prefix the operators' tools use, e.g. {@code storepulse-ops-dlq}. */
    public static final String OPS_GROUP_PREFIX = "storepulse-ops-";

    /**
     * The operators' user: read {@code dead-letters} and every output (for inspection), write the
     * input topics (replaying repaired dead letters). It cannot touch Storepulse's outputs.
     */
    public static List<Acl> forOps() {
        List<Acl> acls = new ArrayList<>();
        for (Topic<?> t : Topics.ALL) {
            if (t.direction() == Topic.Direction.OUTPUT) {
                acls.add(new Acl("topic", t.name(), "literal", READ));
            }
        }
        for (Topic<?> t : Topics.ALL) {
            if (t.direction() == Topic.Direction.INPUT) {
                acls.add(new Acl("topic", t.name(), "literal", WRITE));
            }
        }
        acls.add(new Acl("group", OPS_GROUP_PREFIX, "prefix", List.of("Read")));
        return acls;
    }

    /** The Strimzi {@code spec.authorization.acls[]} entry (CRD v1: {@code operations} list). */
    Map<String, Object> toManifest() {
        Map<String, Object> resource = new LinkedHashMap<>();
        resource.put("type", resourceType);
        if (name != null) { // the cluster resource has no name
            resource.put("name", name);
            resource.put("patternType", patternType);
        }
        Map<String, Object> acl = new LinkedHashMap<>();
        acl.put("type", "allow");
        acl.put("resource", resource);
        acl.put("operations", operations);
        return acl;
    }
}

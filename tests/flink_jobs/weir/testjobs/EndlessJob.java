package weir.testjobs;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * Streaming test job that runs until cancelled or stopped. A first argument that is not a flag is
 * its name; otherwise the name comes from the submission's pipeline.name, as for ARGO's jobs.
 */
public class EndlessJob {

    /** Slows the sequence down so the job stays cheap while it runs. */
    public static class Pause implements MapFunction<Long, Long> {
        @Override
        public Long map(Long value) throws Exception {
            Thread.sleep(100);
            return value;
        }
    }

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.enableCheckpointing(5000);
        env.fromSequence(0, Long.MAX_VALUE).uid("sequence")
            .map(new Pause()).uid("pause")
            .sinkTo(new DiscardingSink<>()).uid("discard");
        if (args.length > 0 && !args[0].startsWith("--")) {
            env.execute(args[0]);
        } else {
            env.execute();
        }
    }
}

package weir.testjobs;

import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/** Test job whose operator throws on the second element (no restarts). */
public class ThrowingJob {

    /** Throws a recognisable error for the value 2. */
    public static class Explode implements MapFunction<Integer, Integer> {
        @Override
        public Integer map(Integer value) {
            if (value == 2) {
                throw new IllegalStateException("WEIR_TEST_FAILURE: element " + value + " is not allowed");
            }
            return value;
        }
    }

    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.fromData(1, 2, 3).map(new Explode()).sinkTo(new DiscardingSink<>());
        env.execute("weir-test-throwing");
    }
}

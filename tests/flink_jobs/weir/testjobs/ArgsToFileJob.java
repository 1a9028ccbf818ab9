package weir.testjobs;

import java.io.FileWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/** Batch test job: writes its arguments, one per line, to the file named by the first one. */
public class ArgsToFileJob {

    /** A Sink V2 that appends each record as a line of a local file (parallelism 1). */
    public static class LinesToFile implements Sink<String> {
        private final String target;

        public LinesToFile(String target) {
            this.target = target;
        }

        @Override
        public SinkWriter<String> createWriter(WriterInitContext context) throws IOException {
            final Writer out = new FileWriter(target, StandardCharsets.UTF_8, false);
            return new SinkWriter<String>() {
                @Override
                public void write(String line, Context ctx) throws IOException {
                    out.write(line);
                    out.write('\n');
                }

                @Override
                public void flush(boolean endOfInput) throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.close();
                }
            };
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            throw new IllegalArgumentException("usage: ArgsToFileJob <output file> [args...]");
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        env.fromData(Arrays.asList(args)).sinkTo(new LinesToFile(args[0])).setParallelism(1);
        env.execute("weir-test-args-to-file");
    }
}

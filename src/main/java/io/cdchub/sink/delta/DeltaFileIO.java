package io.cdchub.sink.delta;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

import io.delta.kernel.defaults.engine.fileio.FileIO;
import io.delta.kernel.defaults.engine.fileio.InputFile;
import io.delta.kernel.defaults.engine.fileio.OutputFile;
import io.delta.kernel.defaults.engine.fileio.PositionOutputStream;
import io.delta.kernel.defaults.engine.fileio.SeekableInputStream;
import io.delta.kernel.internal.util.Utils;
import io.delta.kernel.utils.CloseableIterator;
import io.delta.kernel.utils.FileStatus;
import org.apache.iceberg.io.FileInfo;
import org.apache.iceberg.io.SupportsPrefixOperations;

/**
 * Delta Kernel's file access ({@link FileIO}) on an S3-compatible store through the lakehouse sinks' Iceberg
 * {@code S3FileIO} (io.cdchub.sink.lakehouse.LakehouseFileIO): the same client, settings and credentials as the other
 * lakehouse sinks, instead of Hadoop's S3A file system, whose hadoop-aws and AWS SDK bundle would add hundreds of MB.
 *
 * <p><b>One writer per table.</b> A Delta commit is the creation of {@code _delta_log/<version>.json}, which must fail
 * when the file exists. S3 offers no such "create if absent" through this client: the file is checked and then written,
 * which is atomic enough when, as here, one cdc-hub sink is the table's only writer (Delta's own S3 log store,
 * {@code S3SingleDriverLogStore}, makes the same assumption). An S3 object appears whole, so a reader never sees a
 * half-written commit.
 */
final class DeltaFileIO implements FileIO {

    private final SupportsPrefixOperations io;

    DeltaFileIO(org.apache.iceberg.io.FileIO io) {
        if (!(io instanceof SupportsPrefixOperations listing)) {
            throw new IllegalArgumentException("Delta tables need a FileIO that can list (" + io.getClass().getName() + " cannot)");
        }
        this.io = listing;
    }

    @Override
    public CloseableIterator<FileStatus> listFrom(String filePath) throws IOException {
        int slash = filePath.lastIndexOf('/');
        String directory = filePath.substring(0, slash + 1);
        String from = filePath.substring(slash + 1);
        List<FileStatus> files = new ArrayList<>();
        boolean any = false;
        for (FileInfo file : io.listPrefix(directory)) {
            String name = file.location().substring(directory.length());
            if (name.isEmpty() || name.contains("/")) {
                continue; // the listing is recursive: only the directory's own files
            }
            any = true;
            if (name.compareTo(from) >= 0) {
                files.add(FileStatus.of(file.location(), file.size(), file.createdAtMillis()));
            }
        }
        if (!any) {
            throw new FileNotFoundException("No files in " + directory);
        }
        files.sort(Comparator.comparing(FileStatus::getPath));
        return Utils.toCloseableIterator(files.iterator());
    }

    @Override
    public FileStatus getFileStatus(String path) throws IOException {
        for (FileInfo file : io.listPrefix(path)) {
            if (file.location().equals(path)) {
                return FileStatus.of(path, file.size(), file.createdAtMillis());
            }
        }
        throw new FileNotFoundException(path);
    }

    @Override
    public String resolvePath(String path) {
        return path;
    }

    @Override
    public boolean mkdirs(String path) {
        return true; // an object store has no directories
    }

    @Override
    public InputFile newInputFile(String path, long fileSize) {
        org.apache.iceberg.io.InputFile file = io.newInputFile(path, fileSize);
        return new InputFile() {
            @Override
            public long length() {
                return file.getLength();
            }

            @Override
            public String path() {
                return path;
            }

            @Override
            public SeekableInputStream newStream() {
                org.apache.iceberg.io.SeekableInputStream in = file.newStream();
                return new SeekableInputStream() {
                    @Override
                    public int read() throws IOException {
                        try {
                            return in.read();
                        } catch (org.apache.iceberg.exceptions.NotFoundException e) {
                            throw missing(e);
                        }
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        try {
                            return in.read(b, off, len);
                        } catch (org.apache.iceberg.exceptions.NotFoundException e) {
                            throw missing(e);
                        }
                    }

                    /** S3 opens the object on the first read: a missing one is what Delta Kernel expects it to be. */
                    private FileNotFoundException missing(org.apache.iceberg.exceptions.NotFoundException e) {
                        FileNotFoundException missing = new FileNotFoundException(path);
                        missing.initCause(e);
                        return missing;
                    }

                    @Override
                    public long getPos() throws IOException {
                        return in.getPos();
                    }

                    @Override
                    public void seek(long position) throws IOException {
                        in.seek(position);
                    }

                    @Override
                    public void readFully(byte[] b, int off, int len) throws IOException {
                        int read = 0;
                        while (read < len) {
                            int n = read(b, off + read, len - read);
                            if (n < 0) {
                                throw new java.io.EOFException("End of " + path + " after " + read + " of " + len + " bytes");
                            }
                            read += n;
                        }
                    }

                    @Override
                    public void close() throws IOException {
                        in.close();
                    }
                };
            }
        };
    }

    @Override
    public OutputFile newOutputFile(String path) {
        return new OutputFile() {
            @Override
            public String path() {
                return path;
            }

            @Override
            public PositionOutputStream create(boolean overwrite) throws IOException {
                if (!overwrite && io.newInputFile(path).exists()) {
                    throw new FileAlreadyExistsException(path);
                }
                org.apache.iceberg.io.PositionOutputStream out = io.newOutputFile(path).createOrOverwrite();
                return new PositionOutputStream() {
                    @Override
                    public long getPos() throws IOException {
                        return out.getPos();
                    }

                    @Override
                    public void write(int b) throws IOException {
                        out.write(b);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                    }

                    @Override
                    public void flush() throws IOException {
                        out.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        out.close();
                    }
                };
            }

            @Override
            public void writeAtomically(CloseableIterator<String> lines, boolean overwrite) throws IOException {
                try (lines; OutputStream out = create(overwrite)) {
                    while (lines.hasNext()) {
                        out.write(lines.next().getBytes(StandardCharsets.UTF_8));
                        out.write('\n');
                    }
                }
            }
        };
    }

    @Override
    public boolean delete(String path) {
        io.deleteFile(path);
        return true;
    }

    @Override
    public Optional<String> getConf(String confKey) {
        return Optional.empty();
    }

    @Override
    public void copyFileAtomically(String srcPath, String destPath, boolean overwrite) throws IOException {
        try (InputStream in = io.newInputFile(srcPath).newStream(); OutputStream out = newOutputFile(destPath).create(overwrite)) {
            in.transferTo(out);
        }
    }
}

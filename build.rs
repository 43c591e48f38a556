//! Generates the Open Inference Protocol's gRPC messages and client from the vendored
//! src/sources/probe/proto/grpc_predict_v2.proto. protox parses the .proto in Rust, so no
//! protoc is needed; tonic-prost-build writes the code into OUT_DIR (client only).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let proto = "src/sources/probe/proto/grpc_predict_v2.proto";
    println!("cargo:rerun-if-changed={proto}");
    let descriptors = protox::compile([proto], ["src/sources/probe/proto"])?;
    tonic_prost_build::configure()
        .build_server(false)
        .build_transport(false)
        .compile_fds(descriptors)?;
    Ok(())
}

/// Where a conv layer followed by a 2x2 max-pool writes when it pools as it stores: the pooled
/// output (`TensorShape.pooled` of the conv's output shape) and the pool's argmax bytes, as
/// `MaxPool.forward` would write them from the conv's full output. The full output itself is
/// never written: the network needs only the pooled values, the winners and the ReLU mask
/// (recorded as before), and skipping it saves a write and a read of the layer's largest
/// tensor and one fork-join (block1_conv2's output is 5.5 MiB at 150 px).
public struct PooledOutput {
    public let output: UnsafeMutablePointer<Float>
    public let argmax: UnsafeMutablePointer<UInt8>

    public init(output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<UInt8>) {
        self.output = output
        self.argmax = argmax
    }
}

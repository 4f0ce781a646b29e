/// What a pass must compute at its target layer, as asked by whoever reads the output (the
/// objective, for a render; everything, for `activations`). The network knows nothing of why.
public enum TargetOutput: Hashable, Sendable {
    /// Every channel of the target layer (post-ReLU).
    case layer
    /// Only channel `channels[n]` for image n (post-ReLU): the channel head computes just that
    /// filter at the target layer, in both directions (see `ChannelHead`). `output` then has one
    /// channel per image. At block1_conv1, whose input has 3 channels, the whole layer is
    /// computed instead.
    case channelPerImage([Int])
}

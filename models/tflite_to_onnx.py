"""Convert MediaPipe's TFLite models (Selfie Segmentation, BlazePose) to ONNX, without TensorFlow.

Why our own converter: tf2onnx leaves MediaPipe's custom op in (ONNX Runtime refuses the file) and
tflite2onnx fails on HARD_SWISH. These models use a few dozen ops, so a direct translation is
short, auditable and byte-for-byte reproducible.

Layout: the ONNX graph keeps the TFLite interface (NHWC inputs and rank-4 outputs, other outputs
as they are) and runs rank-4 activations NCHW inside: one Transpose at each end, and one before a
RESHAPE leaves rank 4. Every constant is folded at conversion time (fp16 weights are dequantized
to fp32 here, exactly as TFLite's DEQUANTIZE does; sparse weights are densified, as DENSIFY does).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

CONVERTER_VERSION = "1.0.0"
OPSET = 17

_TFL_DTYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
}
_BUILTIN_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
# NHWC axis -> NCHW axis, for reductions.
_NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1}


class UnsupportedOpError(ValueError):
    """The TFLite model uses an op this converter does not translate."""


@dataclass
class _Value:
    """A tensor in the ONNX graph: its ONNX name and shape (NCHW for rank 4, else TFLite's)."""

    name: str
    shape: tuple[int, ...]

    @property
    def nchw(self) -> bool:
        return len(self.shape) == 4


def _same_pads(in_size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow SAME padding: asymmetric, the extra pixel goes at the end."""
    out = -(-in_size // stride)
    eff_k = (kernel - 1) * dilation + 1
    total = max((out - 1) * stride + eff_k - in_size, 0)
    return total // 2, total - total // 2


class _Converter:
    def __init__(self, buf: bytes, graph_name: str) -> None:
        self.model = tflite.Model.GetRootAsModel(buf, 0)
        if self.model.SubgraphsLength() != 1:
            raise ValueError("expected a TFLite model with exactly one subgraph")
        self.graph = self.model.Subgraphs(0)
        self.graph_name = graph_name
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[TensorProto] = []
        self.values: dict[int, _Value] = {}  # tflite tensor index -> activation
        self.consts: dict[int, np.ndarray] = {}  # tflite tensor index -> folded constant (NHWC)
        self._counter = 0

    # -- helpers -----------------------------------------------------------------------------
    def _tensor(self, idx: int) -> tflite.Tensor:
        return self.graph.Tensors(idx)

    def _name(self, idx: int) -> str:
        return self._tensor(idx).Name().decode()

    def _fresh(self, hint: str) -> str:
        self._counter += 1
        return f"{hint}__{self._counter}"

    def _nhwc_shape(self, idx: int) -> tuple[int, ...]:
        return tuple(int(d) for d in self._tensor(idx).ShapeAsNumpy())

    def _buffer_array(self, idx: int) -> np.ndarray | None:
        t = self._tensor(idx)
        buf = self.model.Buffers(t.Buffer())
        if buf is None or buf.DataLength() == 0:
            return None
        dtype = _TFL_DTYPES.get(t.Type())
        if dtype is None:
            raise ValueError(f"tensor {self._name(idx)!r}: unsupported TFLite type {t.Type()}")
        return buf.DataAsNumpy().view(dtype).reshape(self._nhwc_shape(idx)).copy()

    def _const(self, idx: int) -> np.ndarray:
        if idx not in self.consts:
            arr = self._buffer_array(idx)
            if arr is None:
                raise ValueError(f"tensor {self._name(idx)!r} is not a constant")
            self.consts[idx] = arr
        return self.consts[idx]

    def _add_init(self, arr: np.ndarray, hint: str) -> str:
        name = self._fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def _node(self, op: str, inputs: list[str], out_idx: int | None, shape: tuple[int, ...],
              **attrs) -> str:
        out = self._name(out_idx) if out_idx is not None else self._fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=self._fresh(op), **attrs))
        if out_idx is not None:
            self.values[out_idx] = _Value(out, shape)
        return out

    def _act(self, idx: int) -> _Value:
        if idx not in self.values:
            raise ValueError(f"tensor {self._name(idx)!r} used before it was produced")
        return self.values[idx]

    def _operand(self, idx: int) -> str:
        """An elementwise operand: an activation, or a constant laid out for NCHW broadcasting."""
        if idx in self.values:
            return self.values[idx].name
        arr = self._const(idx).astype(np.float32)
        if arr.ndim == 4:
            arr = arr.transpose(0, 3, 1, 2)
        elif arr.ndim == 1 and arr.size > 1:
            arr = arr.reshape(-1, 1, 1)
        elif arr.ndim not in (0, 1):
            raise ValueError(f"constant {self._name(idx)!r} of rank {arr.ndim} cannot be broadcast")
        return self._add_init(arr, self._name(idx))

    def _fused(self, name: str, fused: int, out_idx: int, shape: tuple[int, ...]) -> None:
        """Apply a fused activation, writing the final result under the TFLite output name."""
        if fused == tflite.ActivationFunctionType.NONE:
            self._node("Identity", [name], out_idx, shape)
        elif fused == tflite.ActivationFunctionType.RELU:
            self._node("Relu", [name], out_idx, shape)
        elif fused == tflite.ActivationFunctionType.RELU6:
            lo = self._add_init(np.array(0.0, np.float32), "relu6_min")
            hi = self._add_init(np.array(6.0, np.float32), "relu6_max")
            self._node("Clip", [name, lo, hi], out_idx, shape)
        else:
            raise UnsupportedOpError(f"fused activation {fused} is not supported")

    def _out_shape(self, idx: int) -> tuple[int, ...]:
        """The ONNX shape of a TFLite tensor: NCHW for rank 4, TFLite's own otherwise."""
        shape = self._nhwc_shape(idx)
        if len(shape) != 4:
            return shape
        n, h, w, c = shape
        return (n, c, h, w)

    def _axis(self, idx: int, axis: int) -> int:
        """A TFLite axis of tensor `idx` in the ONNX layout."""
        rank = len(self._nhwc_shape(idx))
        axis %= rank
        return _NHWC_TO_NCHW_AXIS[axis] if rank == 4 else axis

    def _densify(self, idx: int) -> np.ndarray:
        """A sparse constant (TFLite's SparsityParameters) as a dense array: TFLite's
        FormatConverter::SparseToDense, for dense and CSR dimensions without blocks."""
        t = self._tensor(idx)
        sp = t.Sparsity()
        shape = self._nhwc_shape(idx)
        if sp is None:
            raise ValueError(f"DENSIFY of {self._name(idx)!r}, which carries no sparsity parameters")
        if sp.BlockMapLength():
            raise UnsupportedOpError("DENSIFY of a block-sparse tensor is not supported")
        order = [int(v) for v in sp.TraversalOrderAsNumpy()]
        dtype = _TFL_DTYPES.get(t.Type())
        if dtype is None:
            raise ValueError(f"tensor {self._name(idx)!r}: unsupported TFLite type {t.Type()}")
        values = self.model.Buffers(t.Buffer()).DataAsNumpy().view(dtype)
        levels = []  # per traversal level: ("dense", size) or ("csr", segments, indices)
        for d in range(sp.DimMetadataLength()):
            dm = sp.DimMetadata(d)
            if dm.Format() == tflite.DimensionType.DENSE:
                levels.append(("dense", dm.DenseSize()))
            else:
                levels.append(("csr", self._index_vector(dm.ArraySegmentsType(), dm.ArraySegments()),
                               self._index_vector(dm.ArrayIndicesType(), dm.ArrayIndices())))
        # Positions in traversal order, level by level: each level expands every position of the one
        # above (prev index p) into its own indices, as Populate recurses.
        coords = np.zeros((1, 0), np.int64)
        prev = np.zeros(1, np.int64)
        for level in levels:
            if level[0] == "dense":
                size = level[1]
                coords = np.concatenate([np.repeat(coords, size, 0), np.tile(np.arange(size), len(prev))[:, None]], 1)
                prev = (np.repeat(prev, size) * size + np.tile(np.arange(size), len(prev)))
            else:
                segments, indices = level[1], level[2]
                counts = segments[prev + 1] - segments[prev]
                starts = np.repeat(segments[prev], counts)
                offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
                pos = starts + offsets
                coords = np.concatenate([np.repeat(coords, counts, 0), indices[pos][:, None]], 1)
                prev = pos
        if len(coords) != values.size:
            raise ValueError(f"DENSIFY of {self._name(idx)!r}: {values.size} values for {len(coords)} positions")
        dense = np.zeros(shape, dtype)
        original = np.empty_like(coords)
        original[:, order] = coords
        dense[tuple(original.T)] = values
        return dense

    @staticmethod
    def _index_vector(kind: int, table) -> np.ndarray:
        cls = {tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
               tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
               tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector}.get(kind)
        if cls is None:
            raise ValueError(f"sparse index vector of type {kind}")
        vec = cls()
        vec.Init(table.Bytes, table.Pos)
        return vec.ValuesAsNumpy().astype(np.int64)

    # -- ops -----------------------------------------------------------------------------------
    def op_DEQUANTIZE(self, op, ins, outs):
        # fp16 weights -> fp32, folded now: what TFLite computes once at load time.
        self.consts[outs[0]] = self._const(ins[0]).astype(np.float32)

    def op_DENSIFY(self, op, ins, outs):
        # Sparse weights -> dense, folded now (TFLite too densifies once, at preparation).
        self.consts[outs[0]] = self._densify(ins[0])

    def op_PAD(self, op, ins, outs):
        x = self._act(ins[0])
        pads = self._const(ins[1]).astype(np.int64)  # [rank, 2] in TFLite's axis order
        if x.nchw:
            pads = pads[[0, 3, 1, 2]]
        inputs = [x.name, self._add_init(np.concatenate([pads[:, 0], pads[:, 1]]), "pads")]
        if len(ins) > 2 and ins[2] >= 0:  # PADV2: the value to pad with
            inputs.append(self._add_init(self._const(ins[2]).astype(np.float32).reshape(()), "pad_value"))
        self._node("Pad", inputs, outs[0], self._out_shape(outs[0]), mode="constant")

    def op_MAX_POOL_2D(self, op, ins, outs):
        self._pool("MaxPool", op, ins, outs)  # padded cells never win, as in ONNX's MaxPool

    def op_DEPTH_TO_SPACE(self, op, ins, outs):
        # TensorFlow's depth_to_space is ONNX's DCR order.
        opts = self._options(op, tflite.DepthToSpaceOptions)
        self._node("DepthToSpace", [self._act(ins[0]).name], outs[0], self._out_shape(outs[0]),
                   blocksize=opts.BlockSize(), mode="DCR")

    def op_RESHAPE(self, op, ins, outs):
        x = self._act(ins[0])
        name = x.name
        if x.nchw:  # the element order TFLite reshapes is NHWC's
            name = self._node("Transpose", [name], None, (), perm=[0, 2, 3, 1])
        target = self._nhwc_shape(outs[0])  # the output's static shape resolves any -1
        shape = self._add_init(np.array(target, np.int64), "shape")
        if len(target) == 4:
            y = self._node("Reshape", [name, shape], None, target)
            self._node("Transpose", [y], outs[0], self._out_shape(outs[0]), perm=[0, 3, 1, 2])
        else:
            self._node("Reshape", [name, shape], outs[0], target)

    def op_CONCATENATION(self, op, ins, outs):
        opts = self._options(op, tflite.ConcatenationOptions)
        shape = self._out_shape(outs[0])
        y = self._node("Concat", [self._operand(i) for i in ins], None, shape, axis=self._axis(outs[0], opts.Axis()))
        self._fused(y, opts.FusedActivationFunction(), outs[0], shape)

    def _conv(self, ins, outs, opts, depthwise: bool):
        x = self._act(ins[0])
        w = self._const(ins[1]).astype(np.float32)
        _, _, in_h, in_w = x.shape
        if depthwise:  # TFLite [1, KH, KW, C*M] -> ONNX [C*M, 1, KH, KW], one group per input channel
            w_onnx = w.transpose(3, 0, 1, 2)
            group = x.shape[1]
        else:  # TFLite [O, KH, KW, I] -> ONNX [O, I, KH, KW]
            w_onnx = w.transpose(0, 3, 1, 2)
            group = 1
        kh, kw = w.shape[1], w.shape[2]
        sh, sw = opts.StrideH(), opts.StrideW()
        dh, dw = opts.DilationHFactor(), opts.DilationWFactor()
        if opts.Padding() == tflite.Padding.SAME:
            pt, pb = _same_pads(in_h, kh, sh, dh)
            pl, pr = _same_pads(in_w, kw, sw, dw)
        else:
            pt = pb = pl = pr = 0
        inputs = [x.name, self._add_init(w_onnx, self._name(ins[1]))]
        if len(ins) > 2 and ins[2] >= 0:
            inputs.append(self._add_init(self._const(ins[2]).astype(np.float32), self._name(ins[2])))
        shape = self._out_shape(outs[0])
        y = self._node("Conv", inputs, None, shape, kernel_shape=[kh, kw], strides=[sh, sw],
                       dilations=[dh, dw], pads=[pt, pl, pb, pr], group=group)
        self._fused(y, opts.FusedActivationFunction(), outs[0], shape)

    def op_CONV_2D(self, op, ins, outs):
        self._conv(ins, outs, self._options(op, tflite.Conv2DOptions), depthwise=False)

    def op_DEPTHWISE_CONV_2D(self, op, ins, outs):
        opts = self._options(op, tflite.DepthwiseConv2DOptions)
        if opts.DepthMultiplier() not in (0, 1):
            raise UnsupportedOpError("DEPTHWISE_CONV_2D with depth_multiplier > 1")
        self._conv(ins, outs, opts, depthwise=True)

    def _binary(self, onnx_op: str, op, ins, outs, opts_cls):
        opts = self._options(op, opts_cls)
        fused = opts.FusedActivationFunction() if opts is not None else 0
        shape = self._out_shape(outs[0])
        y = self._node(onnx_op, [self._operand(ins[0]), self._operand(ins[1])], None, shape)
        self._fused(y, fused, outs[0], shape)

    def op_ADD(self, op, ins, outs):
        self._binary("Add", op, ins, outs, tflite.AddOptions)

    def op_MUL(self, op, ins, outs):
        self._binary("Mul", op, ins, outs, tflite.MulOptions)

    def _unary(self, onnx_op: str, ins, outs):
        self._node(onnx_op, [self._act(ins[0]).name], outs[0], self._out_shape(outs[0]))

    def op_RELU(self, op, ins, outs):
        self._unary("Relu", ins, outs)

    def op_HARD_SWISH(self, op, ins, outs):
        self._unary("HardSwish", ins, outs)

    def op_LOGISTIC(self, op, ins, outs):
        self._unary("Sigmoid", ins, outs)

    def _pool(self, onnx_op: str, op, ins, outs, **attrs):
        opts = self._options(op, tflite.Pool2DOptions)
        x = self._act(ins[0])
        kh, kw = opts.FilterHeight(), opts.FilterWidth()
        sh, sw = opts.StrideH(), opts.StrideW()
        if opts.Padding() == tflite.Padding.SAME:
            pt, pb = _same_pads(x.shape[2], kh, sh)
            pl, pr = _same_pads(x.shape[3], kw, sw)
        else:
            pt = pb = pl = pr = 0
        shape = self._out_shape(outs[0])
        y = self._node(onnx_op, [x.name], None, shape, kernel_shape=[kh, kw], strides=[sh, sw],
                       pads=[pt, pl, pb, pr], **attrs)
        self._fused(y, opts.FusedActivationFunction(), outs[0], shape)

    def op_AVERAGE_POOL_2D(self, op, ins, outs):
        self._pool("AveragePool", op, ins, outs, count_include_pad=0)  # TFLite averages the valid pixels only

    def op_MEAN(self, op, ins, outs):
        opts = self._options(op, tflite.ReducerOptions)
        axes = sorted(_NHWC_TO_NCHW_AXIS[int(a) % 4] for a in np.atleast_1d(self._const(ins[1])))
        keep = bool(opts.KeepDims()) if opts is not None else False
        if not keep:
            raise UnsupportedOpError("MEAN without keep_dims (rank change) is not supported")
        self._node("ReduceMean", [self._act(ins[0]).name], outs[0], self._out_shape(outs[0]),
                   axes=axes, keepdims=1)

    def op_RESIZE_BILINEAR(self, op, ins, outs):
        opts = self._options(op, tflite.ResizeBilinearOptions)
        x = self._act(ins[0])
        out_h, out_w = (int(v) for v in self._const(ins[1]))
        if opts.AlignCorners():
            mode = "align_corners"
        elif opts.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        sizes = self._add_init(np.array([x.shape[0], x.shape[1], out_h, out_w], np.int64), "sizes")
        self._node("Resize", [x.name, "", "", sizes], outs[0], self._out_shape(outs[0]),
                   mode="linear", coordinate_transformation_mode=mode)

    def custom_Convolution2DTransposeBias(self, op, ins, outs):
        # MediaPipe's op: options are a raw TfLiteTransposeConvParams {padding, stride_w, stride_h}.
        raw = op.CustomOptionsAsNumpy().tobytes()
        if len(raw) < 12:
            raise ValueError("Convolution2DTransposeBias: options shorter than 12 bytes")
        padding, sw, sh = struct.unpack("<iii", raw[:12])
        x = self._act(ins[0])
        w = self._const(ins[1]).astype(np.float32)  # [O, KH, KW, I]
        b = self._const(ins[2]).astype(np.float32)
        kh, kw = w.shape[1], w.shape[2]
        _, _, in_h, in_w = x.shape
        _, c_out, out_h, out_w = self._out_shape(outs[0])
        if padding == 1:  # kTfLitePaddingSame: output = input * stride
            pt, pb = _same_pads(out_h, kh, sh)
            pl, pr = _same_pads(out_w, kw, sw)
        elif padding == 2:  # kTfLitePaddingValid
            pt = pb = pl = pr = 0
        else:
            raise UnsupportedOpError(f"Convolution2DTransposeBias with padding code {padding}")
        full_h, full_w = (in_h - 1) * sh + kh, (in_w - 1) * sw + kw
        extra_h = out_h - (full_h - pt - pb)
        extra_w = out_w - (full_w - pl - pr)
        if extra_h < 0 or extra_w < 0:
            raise ValueError("Convolution2DTransposeBias: inconsistent output shape")
        inputs = [x.name, self._add_init(w.transpose(3, 0, 1, 2), self._name(ins[1])),
                  self._add_init(b, self._name(ins[2]))]
        self._node("ConvTranspose", inputs, outs[0], (1, c_out, out_h, out_w), kernel_shape=[kh, kw],
                   strides=[sh, sw], pads=[pt, pl, pb, pr], output_padding=[extra_h, extra_w])

    # -- driver --------------------------------------------------------------------------------
    def _options(self, op, cls):
        table = op.BuiltinOptions()
        if table is None:
            return None
        opts = cls()
        opts.Init(table.Bytes, table.Pos)
        return opts

    def _handler(self, op) -> tuple[str, Callable]:
        code = self.model.OperatorCodes(op.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        name = _BUILTIN_NAMES.get(builtin, f"builtin#{builtin}")
        if name == "CUSTOM":
            custom = code.CustomCode().decode()
            fn = getattr(self, f"custom_{custom}", None)
            label = f"custom op {custom!r}"
        else:
            fn = getattr(self, f"op_{name}", None)
            label = f"op {name}"
        if fn is None:
            raise UnsupportedOpError(f"TFLite {label} is not supported by Backdrop's converter")
        return label, fn

    def convert(self) -> onnx.ModelProto:
        g = self.graph
        if g.InputsLength() != 1:
            raise ValueError("expected one input")
        in_idx = g.Inputs(0)
        n, h, w, c = self._nhwc_shape(in_idx)
        in_name = self._name(in_idx)
        nchw = self._fresh("input_nchw")
        self.nodes.append(helper.make_node("Transpose", [in_name], [nchw], name=self._fresh("Transpose"),
                                           perm=[0, 3, 1, 2]))
        self.values[in_idx] = _Value(nchw, (n, c, h, w))
        for i in range(g.OperatorsLength()):
            op = g.Operators(i)
            label, fn = self._handler(op)
            ins = [int(v) for v in op.InputsAsNumpy()]
            outs = [int(v) for v in op.OutputsAsNumpy()]
            try:
                fn(op, ins, outs)
            except UnsupportedOpError:
                raise
            except Exception as exc:  # name the op that failed
                raise ValueError(f"converting {label} (operator #{i}): {exc}") from exc
        outputs = []
        for k in range(g.OutputsLength()):
            out_idx = g.Outputs(k)
            out = self._act(out_idx)
            final = out.name
            if out.nchw:  # back to the TFLite layout
                final = self._name(out_idx) + "_nhwc"
                self.nodes.append(helper.make_node("Transpose", [out.name], [final], name=self._fresh("Transpose"),
                                                   perm=[0, 2, 3, 1]))
            outputs.append(helper.make_tensor_value_info(final, TensorProto.FLOAT, list(self._nhwc_shape(out_idx))))
        graph = helper.make_graph(
            self.nodes, self.graph_name,
            [helper.make_tensor_value_info(in_name, TensorProto.FLOAT, [n, h, w, c])],
            outputs,
            initializer=self.initializers,
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                                  producer_name="backdrop-tflite2onnx", producer_version=CONVERTER_VERSION)
        model.ir_version = 8  # readable by every ONNX Runtime from 1.14 on
        onnx.checker.check_model(model, full_check=True)
        return model


def convert_tflite(buf: bytes, graph_name: str) -> onnx.ModelProto:
    """Translate a TFLite flatbuffer into a checked ONNX model."""
    return _Converter(buf, graph_name).convert()

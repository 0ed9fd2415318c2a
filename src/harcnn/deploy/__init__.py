"""Using trained models on new data: predictions on recordings, streaming, ONNX export."""

"""The persistent hybrid index: dense (FAISS) + sparse (BM25 over jieba tokens) + a manifest."""

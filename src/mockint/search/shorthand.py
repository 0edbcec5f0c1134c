"""Practitioners' shorthand in a search text, spelled out before it is embedded.

A question typed into a spreadsheet is terse ("Explain backprop.", "What's the CLT?", "LR
schedules?"), and MiniLM does not know most of the field's abbreviations: such a row fell below
``match_threshold`` and was graded ``ungradable``. ``expand`` keeps the text and appends the spelled
out forms of the shorthand it contains, so the embedding carries both. Acronyms match with their
case ("CV" but not "cv"); lower-case shorthand in any case. The table was written from the field's
usage before the held-out set of terse questions that measures it (``eval/reports/shorthand.md``)
was read.

>>> expand("Explain backprop.")
'Explain backprop. (backpropagation)'
>>> expand("CNN vs RNN?")
'CNN vs RNN? (convolutional neural network; versus, the difference between; recurrent neural network)'
>>> expand("What is overfitting?")
'What is overfitting?'
"""

from __future__ import annotations

import re

ACRONYMS = {
    "AB": "A/B test",
    "AE": "autoencoder",
    "ANN": "artificial neural network",
    "ANOVA": "analysis of variance",
    "AUC": "area under the curve",
    "BN": "batch normalization",
    "BoW": "bag of words",
    "BPE": "byte pair encoding",
    "CE": "cross-entropy",
    "CI": "confidence interval",
    "CLT": "central limit theorem",
    "CNN": "convolutional neural network",
    "CNNs": "convolutional neural networks",
    "CV": "cross-validation, computer vision",
    "DBSCAN": "density-based clustering",
    "DL": "deep learning",
    "DNN": "deep neural network",
    "DQN": "deep Q-network",
    "DS": "data science",
    "DT": "decision tree",
    "EDA": "exploratory data analysis",
    "EM": "expectation maximization",
    "ETL": "extract, transform, load",
    "FC": "fully connected layer",
    "FFN": "feedforward network",
    "FN": "false negative",
    "FNN": "feedforward neural network",
    "FP": "false positive",
    "FPR": "false positive rate",
    "GAN": "generative adversarial network",
    "GANs": "generative adversarial networks",
    "GBDT": "gradient boosted decision trees",
    "GBM": "gradient boosting machine",
    "GCN": "graph convolutional network",
    "GD": "gradient descent",
    "GMM": "Gaussian mixture model",
    "GNN": "graph neural network",
    "GRU": "gated recurrent unit",
    "HMM": "hidden Markov model",
    "IDF": "inverse document frequency",
    "KL": "Kullback-Leibler divergence",
    "KNN": "k-nearest neighbors",
    "KV": "key-value cache",
    "LDA": "latent Dirichlet allocation, linear discriminant analysis",
    "LLM": "large language model",
    "LLMs": "large language models",
    "LM": "language model",
    "LR": "learning rate, logistic regression, linear regression",
    "LSTM": "long short-term memory",
    "MAE": "mean absolute error",
    "MAP": "maximum a posteriori",
    "MCMC": "Markov chain Monte Carlo",
    "MDP": "Markov decision process",
    "ML": "machine learning",
    "MLE": "maximum likelihood estimation",
    "MLP": "multilayer perceptron",
    "MoE": "mixture of experts",
    "MSE": "mean squared error",
    "NB": "naive Bayes",
    "NER": "named entity recognition",
    "NLP": "natural language processing",
    "NN": "neural network",
    "NNs": "neural networks",
    "OLS": "ordinary least squares",
    "OOD": "out of distribution",
    "OOV": "out of vocabulary",
    "PCA": "principal component analysis",
    "PEFT": "parameter-efficient fine-tuning",
    "POS": "part-of-speech tagging",
    "PPO": "proximal policy optimization",
    "PR": "precision-recall",
    "RAG": "retrieval-augmented generation",
    "ReLU": "rectified linear unit",
    "RF": "random forest",
    "RL": "reinforcement learning",
    "RLHF": "reinforcement learning from human feedback",
    "RMSE": "root mean squared error",
    "RNN": "recurrent neural network",
    "RNNs": "recurrent neural networks",
    "ROC": "receiver operating characteristic curve",
    "SD": "standard deviation",
    "SE": "standard error",
    "SGD": "stochastic gradient descent",
    "SVD": "singular value decomposition",
    "SVM": "support vector machine",
    "SVMs": "support vector machines",
    "TF": "term frequency",
    "TN": "true negative",
    "TP": "true positive",
    "TPR": "true positive rate",
    "VAE": "variational autoencoder",
    "ViT": "vision transformer",
    "VRAM": "GPU memory",
}

SHORTHAND = {
    "attn": "attention",
    "backprop": "backpropagation",
    "batchnorm": "batch normalization",
    "clf": "classifier",
    "conv": "convolution",
    "convnet": "convolutional neural network",
    "convnets": "convolutional neural networks",
    "diff": "difference",
    "dim": "dimension",
    "dims": "dimensions",
    "dimred": "dimensionality reduction",
    "embs": "embeddings",
    "eval": "evaluation",
    "feat": "feature",
    "feats": "features",
    "finetune": "fine-tune",
    "finetuning": "fine-tuning",
    "grad": "gradient",
    "grads": "gradients",
    "hparams": "hyperparameters",
    "hyperparam": "hyperparameter",
    "hyperparams": "hyperparameters",
    "iid": "independent and identically distributed",
    "kmeans": "k-means clustering",
    "knn": "k-nearest neighbors",
    "layernorm": "layer normalization",
    "linreg": "linear regression",
    "logreg": "logistic regression",
    "nn": "neural network",
    "optim": "optimizer",
    "param": "parameter",
    "params": "parameters",
    "perf": "performance",
    "prob": "probability",
    "probs": "probabilities",
    "reg": "regularization",
    "regularisation": "regularization",
    "seq2seq": "sequence to sequence",
    "stat": "statistic",
    "stats": "statistics",
    "tfidf": "term frequency inverse document frequency",
    "tokenizer": "tokenization",
    "vs": "versus, the difference between",
    "xgb": "XGBoost gradient boosting",
    "xval": "cross-validation",
}

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*")


def expand(text: str) -> str:
    """``text`` with the spelled-out forms of its shorthand appended (in order, once each, none
    that the text already spells out); ``text`` itself when it has none."""
    lower = text.lower()
    found: list[str] = []
    for token in _TOKEN.findall(text):
        full = ACRONYMS.get(token) or SHORTHAND.get(token.lower())
        if full and full not in found and full.lower() not in lower:
            found.append(full)
    return f"{text} ({'; '.join(found)})" if found else text

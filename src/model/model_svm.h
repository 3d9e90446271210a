/* The hinge-loss (C-SVM) side of ntk_model (model_svm.c). */
#ifndef NTK_MODEL_SVM_H
#define NTK_MODEL_SVM_H

#include "ntk/model.h"

/* Fill a model whose encoder, arch, kind and loss are set: the training
 * kernel, the one-vs-one SVM, and (optionally) the training votes. */
ntk_status model_svm_train(const ntk_dataset *train, ntk_model *m, const ntk_train_params *p,
                           double **train_scores, ntk_error *err);

/* Votes (rows × k, if scores) and/or decision values (rows × n_pairs, if dec). */
ntk_status model_svm_predict(const ntk_model *m, const double *X, size_t rows, double *scores,
                             double *dec, int threads, const ntk_progress *progress,
                             ntk_error *err);

#endif

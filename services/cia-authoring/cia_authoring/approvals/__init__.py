"""Approvals: a review's decision applied to a CIA version, and what an approval
makes — the version's documents (full and disclosure copy), the operation's
completion by an approved outcome record, and an approval held until the
operation is authorised (``service.authorise``). It comes after the documents and
the disclosure features, whose work an approval sets off."""

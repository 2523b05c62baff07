"""Switch oci-openai-patch on in every Python process that can import it.

Use it where .pth files are not read, for example when the package is installed with
``pip install --target DIR`` and DIR is put on PYTHONPATH. With OCI_OPENAI_AUTH unset it
does nothing. It then runs any other ``sitecustomize`` further on sys.path, so an image's
own start-up code keeps running.
"""

try:
    from oci_openai_patch.shim.bootstrap import chain_next_sitecustomize, install
except ImportError:  # oci-openai-patch is not installed for this interpreter
    pass
else:
    install()
    chain_next_sitecustomize(__file__)
